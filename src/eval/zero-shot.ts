import { dot, l2normalize, type Encoder, type Lang } from '../encoders/encoder.js';
import { UsageError } from '../util/errors.js';
import { embedTextsBatched, type BatchOptions } from './embed-batched.js';
import { fillTemplate } from './prompts.js';

/** CLIP's logit scale is 100, i.e. a softmax temperature of 0.01 on cosine similarities. */
export const DEFAULT_TEMPERATURE = 0.01;

export interface ZeroShotClassifier {
  labels: string[];
  templates: string[];
  lang: Lang;
  /** One unit vector per class: the renormalised mean of its normalised template embeddings. */
  weights: Float32Array[];
  /** Cosine similarity of each image to each class: [image][class]. */
  scores(imageEmbeddings: Float32Array[]): Float32Array[];
  /** Class probabilities: softmax(scores / temperature) per image. */
  classify(imageEmbeddings: Float32Array[], opts?: { temperature?: number }): Float32Array[];
}

/**
 * Build a zero-shot classifier as CLIP does (open_clip zero_shot_classifier.py): embed every
 * "template x label" prompt, average the normalised embeddings per label, renormalise.
 */
export async function zeroShotClassifier(
  encoder: Encoder,
  labels: string[],
  templates: string[],
  lang: Lang,
  opts: BatchOptions = {},
): Promise<ZeroShotClassifier> {
  if (labels.length === 0) throw new UsageError('zero-shot classification needs at least one label');
  if (templates.length === 0) throw new UsageError('zero-shot classification needs at least one prompt template');
  const prompts = labels.flatMap((label) => templates.map((t) => fillTemplate(t, label)));
  const vecs = await embedTextsBatched(encoder, prompts, { label: 'class prompts', ...opts, lang });
  const weights = labels.map((_, c) => {
    const w = new Float32Array(encoder.dim);
    for (let k = 0; k < templates.length; k++) {
      // Normalise again: the Encoder contract says unit vectors, but a mean is only right if they are.
      const v = l2normalize(Float32Array.from(vecs[c * templates.length + k]));
      for (let d = 0; d < w.length; d++) w[d] += v[d];
    }
    return l2normalize(w);
  });
  return classifierFromWeights(labels, templates, lang, weights);
}

/** A classifier from given class vectors (e.g. loaded from disk, or refined by a few-shot adapter). */
export function classifierFromWeights(labels: string[], templates: string[], lang: Lang, weights: Float32Array[]): ZeroShotClassifier {
  const scores = (images: Float32Array[]) => images.map((img) => Float32Array.from(weights, (w) => dot(img, w)));
  return {
    labels,
    templates,
    lang,
    weights,
    scores,
    classify(images, o = {}) {
      const t = o.temperature ?? DEFAULT_TEMPERATURE;
      if (!(t > 0)) throw new UsageError(`temperature must be > 0 (got ${t})`);
      return scores(images).map((s) => softmax(s, t));
    },
  };
}

/** Numerically stable softmax of x / temperature. */
export function softmax(x: ArrayLike<number>, temperature = 1): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) max = Math.max(max, x[i] / temperature);
  const out = new Float32Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i] / temperature - max);
  for (let i = 0; i < x.length; i++) out[i] /= sum;
  return out;
}
