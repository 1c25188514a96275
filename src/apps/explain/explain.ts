/**
 * `vlm explain`: why an image matches a text. One call from (encoder, image, text) to a heatmap over the
 * image (dense similarity for our own models, occlusion for any encoder), each word's contribution, and
 * an overlay PNG at the input's size.
 */
import { type EmbedTextOptions, type Encoder } from '../../encoders/encoder.js';
import { decodeImage } from '../../image/decode.js';
import type { ImageLimits } from '../../image/limits.js';
import type { ImageInput, RgbImage } from '../../image/types.js';
import { validateText } from '../../text/validate.js';
import { UsageError } from '../../util/errors.js';
import type { DenseExplainer, DenseOptions } from './dense.js';
import { normalize01, toNested, type Heatmap } from './heatmap.js';
import { workCopy } from './image-ops.js';
import { blendMaps } from './blend.js';
import { cropMap, type CropOptions } from './crops.js';
import { occlusionMap, type OcclusionOptions } from './occlusion.js';
import { overlayPng } from './overlay.js';
import { wordContributions, type WordContribution } from './words.js';

export type ExplainMethod = 'dense' | 'occlusion';
export const EXPLAIN_METHODS: readonly ExplainMethod[] = ['dense', 'occlusion'];

/**
 * What the dense method blends in (weights relative to the dense map's 1, each map z-scored first; see blend.ts):
 * chosen on pointing-game dev composites (models/default/eval/explain-dev.json). Occlusion on 8 x 8 cells (81
 * encoder calls, ~3 s on 2 cores) at half weight: 73% on 150 dev composites against 61% for the dense map alone
 * (occlusion alone 49%). Crop similarity (windows enlarged to the encoder's input) hurt at every weight
 * (explain-dev-crops.json: 22% alone), so it is off. Finer occlusion (explain-dev-occlusion.json, same 150
 * composites): 12 x 12 cells alone point far better than 8 x 8 (55% vs 46%) but not in the blend (109 vs 110 hits);
 * 8 x 8 and 12 x 12 together gained 2 hits (112, 1-2 per half) for 170 more encoder calls (~2x the occlusion
 * time), too little to adopt without a second dev seed, so the blend stays 8 x 8.
 */
export interface DenseBlend {
  occlusion?: OcclusionOptions & { weight: number };
  crops?: CropOptions & { weight: number };
}
export const DENSE_BLEND: DenseBlend = { occlusion: { cells: 8, patch: 2, weight: 0.5 } };

export interface ExplainOptions extends EmbedTextOptions {
  /** default: dense when a DenseExplainer is given, else occlusion */
  method?: ExplainMethod;
  /** the dense explainer of the same model (loadDenseExplainer(modelDir)); needed for method 'dense' */
  dense?: DenseExplainer;
  /** scales, smoothing, surgery of the dense method (default DENSE_DEFAULTS, chosen on dev composites) */
  denseOptions?: DenseOptions;
  /** maps blended into the dense one (default DENSE_BLEND; false: the dense map alone) */
  blend?: DenseBlend | false;
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
  /** the method's own scores per region (dense: cosine per location, or the z-scored blend; occlusion: similarity drop) */
  scores: number[][];
  words?: WordContribution[];
  png?: Buffer;
  map: Heatmap;
}

/**
 * The dense method's map for an image (the explainers' work copy) and a text embedding: the dense map with
 * DENSE_BLEND (or opts.blend) blended in. `similarity` comes along when an occlusion pass computed it.
 */
export async function denseMap(encoder: Encoder, dense: DenseExplainer, image: RgbImage, text: Float32Array, opts: Pick<ExplainOptions, 'denseOptions' | 'blend'> = {}): Promise<{ map: Heatmap; similarity?: number }> {
  const map = (await dense.explain(image, text, opts.denseOptions)).map;
  const blend = opts.blend === false ? {} : (opts.blend ?? DENSE_BLEND);
  const parts = [{ map, weight: 1 }];
  let similarity: number | undefined;
  if (blend.occlusion) {
    const o = await occlusionMap(encoder, image, text, blend.occlusion);
    similarity = o.similarity;
    parts.push({ map: o.map, weight: blend.occlusion.weight });
  }
  if (blend.crops) parts.push({ map: (await cropMap(encoder, image, text, blend.crops)).map, weight: blend.crops.weight });
  return { map: parts.length > 1 ? blendMaps(parts) : map, similarity };
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
  if (method === 'dense') ({ map, similarity } = await denseMap(encoder, opts.dense!, work, t, opts));
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
