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
  /**
   * Optional detector evidence as extra memory tokens: the image's 160-float CenterNet row (detectorFeatureRow,
   * as the detector cache holds it) projected to `tokens` memory tokens beside the map cells. The decoder's input
   * row is then the flattened map followed by those `dim` floats.
   */
  detector?: { kind: 'centernet'; dim: number; tokens: number };
  d_model: number;
  layers: number;
  heads: number;
  mlp_ratio: number;
  dropout: number;
  /** Longest caption in tokens, [END] included (the language token is extra). */
  max_length: number;
  vocab: { specials: string[]; en: string[]; zh: string[] };
  /**
   * Decoding defaults chosen on the dev split. `ensemble`: more weight files in the folder (decoders of this same
   * config) whose log-probabilities beam search averages with the main one's. `memory`: re-ranking also weighs each
   * candidate's consensus with the captions of the image's k nearest training images (caption-memory.ts), at a
   * weight per language (a language without one does not use the memory).
   */
  decode?: {
    beam?: number; length_alpha?: number; no_repeat_ngram?: number; rerank_weight?: number; rerank?: boolean; consensus?: number; ensemble?: string[];
    memory?: { k: number; weight: Partial<Record<'en' | 'zh', number>> };
  };
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
  if (c.detector && (c.detector.kind !== 'centernet' || !(c.detector.dim > 0) || !Number.isInteger(c.detector.tokens) || c.detector.tokens < 1)) bad('detector must be { kind: "centernet", dim > 0, tokens >= 1 }');
  const ens = c.decode?.ensemble;
  if (ens !== undefined && (!Array.isArray(ens) || ens.some((f) => typeof f !== 'string' || !/^[\w.-]+\.safetensors$/.test(f)))) bad('decode.ensemble must list .safetensors file names in the model folder');
  const mem = c.decode?.memory;
  if (mem !== undefined && (!Number.isInteger(mem?.k) || mem.k < 1 || !mem.weight || typeof mem.weight !== 'object' || !Object.entries(mem.weight).every(([l, w]) => (l === 'en' || l === 'zh') && Number.isFinite(w) && w >= 0))) {
    bad('decode.memory must be { k: integer >= 1, weight: { en?: number >= 0, zh?: number >= 0 } }');
  }
  if (!c.vocab || !Array.isArray(c.vocab.en) || !Array.isArray(c.vocab.zh)) bad('vocab.en and vocab.zh must be arrays');
  return c as CaptionDecoderConfig;
}

/** Floats per image in the decoder's input row: the flattened map, then the detector row when the decoder takes one. */
export function memoryRowLength(c: Pick<CaptionDecoderConfig, 'map_shape' | 'detector'>): number {
  const [h, w, ch] = c.map_shape;
  return h * w * ch + (c.detector?.dim ?? 0);
}

/** One image's decoder input row: its map, with the detector row appended when the decoder takes one. */
export function memoryRow(c: Pick<CaptionDecoderConfig, 'map_shape' | 'detector'>, map: Float32Array, detector?: Float32Array): Float32Array {
  if (!c.detector) return map;
  if (!detector || detector.length !== c.detector.dim) throw new VlmError(`this caption decoder needs a ${c.detector.dim}-float detector row per image`);
  const row = new Float32Array(map.length + detector.length);
  row.set(map, 0);
  row.set(detector, map.length);
  return row;
}
