import type { PreprocessSpec } from '../image/preprocess.js';
import type { ImageInput } from '../image/types.js';

export type Lang = 'en' | 'zh';

export interface EmbedTextOptions {
  /** Force a language; by default each string's language is detected. */
  lang?: Lang;
}

/**
 * One shared image-text embedding space. Every application takes an Encoder, never a concrete model,
 * so our default model and a pretrained CLIP folder are interchangeable (`--model <dir>`).
 * All outputs are L2-normalised, so a dot product is the cosine similarity.
 */
export interface Encoder {
  /** Stable identifier of the model weights (adapters and indexes record it). */
  readonly id: string;
  /** Embedding dimension. */
  readonly dim: number;
  /**
   * The model's learned similarity scale (CLIP's logit_scale, exp'd), when it has one: softmax(scale * cosine) gives
   * the probabilities the model was trained to produce. Zero-shot classification uses it as the default temperature.
   */
  readonly logitScale?: number;
  /**
   * How embedImages turns every input into model pixels, when that is one fixed preprocessImage spec (our native
   * towers). An RgbImage already at spec.width x spec.height passes through it unchanged, so a caller that decodes with
   * this spec itself (the library indexer, which also needs a thumbnail) shares one decode without changing an embedding.
   */
  readonly imagePreprocess?: PreprocessSpec;
  /** The folder our own (native) model was loaded from: what else ships beside its weights (dense explainer). */
  readonly modelDir?: string;
  embedImages(inputs: ImageInput[]): Promise<Float32Array[]>;
  embedTexts(texts: string[], opts?: EmbedTextOptions): Promise<Float32Array[]>;
  dispose(): Promise<void> | void;
}

/** L2-normalise in place (zero vectors stay zero) and return the same array. */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
