/**
 * `vlm explain`: why an image matches a text. One call from (encoder, image, text) to a heatmap over the
 * image (dense similarity for our own models, occlusion for any encoder), each word's contribution, and
 * an overlay PNG at the input's size.
 */
import { type EmbedTextOptions, type Encoder } from '../../encoders/encoder.js';
import { decodeImage } from '../../image/decode.js';
import type { ImageLimits } from '../../image/limits.js';
import type { ImageInput } from '../../image/types.js';
import { validateText } from '../../text/validate.js';
import { UsageError } from '../../util/errors.js';
import type { DenseExplainer, DenseOptions } from './dense.js';
import { normalize01, toNested, type Heatmap } from './heatmap.js';
import { workCopy } from './image-ops.js';
import { occlusionMap, type OcclusionOptions } from './occlusion.js';
import { overlayPng } from './overlay.js';
import { wordContributions, type WordContribution } from './words.js';

export type ExplainMethod = 'dense' | 'occlusion';
export const EXPLAIN_METHODS: readonly ExplainMethod[] = ['dense', 'occlusion'];

export interface ExplainOptions extends EmbedTextOptions {
  /** default: dense when a DenseExplainer is given, else occlusion */
  method?: ExplainMethod;
  /** the dense explainer of the same model (loadDenseExplainer(modelDir)); needed for method 'dense' */
  dense?: DenseExplainer;
  /** scales, smoothing, surgery of the dense method (default DENSE_DEFAULTS, chosen on dev composites) */
  denseOptions?: DenseOptions;
  occlusion?: OcclusionOptions;
  /** render the overlay PNG (default true) */
  png?: boolean;
  /** word contributions (default true) */
  words?: boolean;
  limits?: Partial<ImageLimits>;
}

export interface Explanation {
  method: ExplainMethod;
  text: string;
  /** the input's size (EXIF orientation applied); the overlay has this size */
  width: number;
  height: number;
  /** cosine similarity of the image and the text */
  similarity: number;
  /** relevance per region scaled to 0..1, rows of columns over the whole image */
  grid: number[][];
  /** the method's own scores per region (dense: cosine per location; occlusion: similarity drop) */
  scores: number[][];
  words?: WordContribution[];
  png?: Buffer;
  map: Heatmap;
}

export async function explainImageText(encoder: Encoder, image: ImageInput, text: string, opts: ExplainOptions = {}): Promise<Explanation> {
  const clean = validateText(text);
  const method = opts.method ?? (opts.dense ? 'dense' : 'occlusion');
  if (!EXPLAIN_METHODS.includes(method)) throw new UsageError(`unknown explain method "${method}": use ${EXPLAIN_METHODS.join(' or ')}`);
  if (method === 'dense' && !opts.dense) throw new UsageError('dense heatmaps need our own model format (a vlm model folder); for other models use --method occlusion');
  const full = await decodeImage(image, opts.limits);
  const work = await workCopy(full);
  const lang = opts.lang ? { lang: opts.lang } : {};
  const [t] = await encoder.embedTexts([clean], lang);

  let map: Heatmap;
  let similarity: number | undefined;
  if (method === 'dense') map = (await opts.dense!.explain(work, t, opts.denseOptions)).map;
  else ({ map, similarity } = await occlusionMap(encoder, work, t, opts.occlusion));

  let words: WordContribution[] | undefined;
  if (opts.words !== false || similarity === undefined) {
    const [v] = await encoder.embedImages([work]);
    const w = await wordContributions(encoder, v, clean, lang);
    similarity ??= w.similarity;
    if (opts.words !== false) words = w.words;
  }
  return {
    method,
    text: clean,
    width: full.width,
    height: full.height,
    similarity: similarity!,
    grid: toNested(normalize01(map)),
    scores: toNested(map, 5),
    words,
    png: opts.png === false ? undefined : await overlayPng(full, map),
    map,
  };
}
