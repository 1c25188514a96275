import { VlmError } from '../util/errors.js';

/** caption.json in a model folder: the caption decoder's shape, its input tap and its vocabulary. */
export interface CaptionDecoderConfig {
  format: 'vlm-caption-decoder';
  version: 1;
  /** The frozen tower and spatial tap the decoder attends over, e.g. mobilenet_v2_mid / final_map. */
  tower: string;
  tap: string;
  /** Per-image map shape [h, w, c]. */
  map_shape: [number, number, number];
  d_model: number;
  layers: number;
  heads: number;
  mlp_ratio: number;
  dropout: number;
  /** Longest caption in tokens, [END] included (the language token is extra). */
  max_length: number;
  vocab: { specials: string[]; en: string[]; zh: string[] };
  /** Decoding defaults chosen on the dev split. */
  decode?: { beam?: number; length_alpha?: number; no_repeat_ngram?: number; rerank_weight?: number; rerank?: boolean };
  training?: Record<string, unknown>;
}

export function checkCaptionConfig(c: Partial<CaptionDecoderConfig>, source: string): CaptionDecoderConfig {
  const bad = (why: string): never => {
    throw new VlmError(`${source}: invalid caption decoder config (${why})`);
  };
  if (c.format !== 'vlm-caption-decoder') bad(`format is ${JSON.stringify(c.format)}`);
  if (c.version !== 1) bad(`unsupported version ${JSON.stringify(c.version)}`);
  for (const k of ['d_model', 'layers', 'heads', 'max_length'] as const) if (!Number.isInteger(c[k]) || (c[k] as number) < 1) bad(`${k} must be a positive integer`);
  if ((c.d_model as number) % (c.heads as number) !== 0) bad('d_model must be divisible by heads');
  if (!Array.isArray(c.map_shape) || c.map_shape.length !== 3) bad('map_shape must be [h, w, c]');
  if (!c.vocab || !Array.isArray(c.vocab.en) || !Array.isArray(c.vocab.zh)) bad('vocab.en and vocab.zh must be arrays');
  return c as CaptionDecoderConfig;
}
