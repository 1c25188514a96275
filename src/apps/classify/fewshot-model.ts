import { InputError } from '../../util/errors.js';
import { mulABt, type Mat } from './matrix.js';

/**
 * The fitted few-shot classifiers, as plain data (so an adapter file can hold them) plus one function
 * that turns image embeddings into logits. Probabilities are softmax(logits / temperature) for every
 * method, with the temperature fitted on held-out examples of the support set (see calibrate.ts).
 */
export type FewShotMethod = 'zeroshot' | 'prototype' | 'probe' | 'ridge' | 'tip' | 'tip-f';
export const FEWSHOT_METHODS: readonly FewShotMethod[] = ['zeroshot', 'prototype', 'probe', 'ridge', 'tip', 'tip-f'];
/** The methods that learn from examples (what `vlm eval fewshot` compares by default). */
export const LEARNING_METHODS: readonly FewShotMethod[] = ['probe', 'ridge', 'tip', 'tip-f', 'prototype'];

export type FewShotParams =
  /** Cosine to the prompt-ensemble class vectors. */
  | { method: 'zeroshot'; weights: Mat }
  /** Cosine to the (renormalised) mean support embedding of each class. */
  | { method: 'prototype'; prototypes: Mat }
  /** Logistic regression (probe) or ridge regression to ±1 targets (ridge): W x + b. */
  | { method: 'probe' | 'ridge'; W: Mat; b: number[] }
  /**
   * Tip-Adapter (Zhang et al., ECCV 2022): zero-shot logits (cosines / zsTemperature) plus alpha times
   * each class's mean affinity exp(-beta (1 - x·k)) to its cache keys (the support embeddings, or for
   * Tip-Adapter-F keys fine-tuned by gradient descent). weights is null when there is no text prior.
   */
  | { method: 'tip' | 'tip-f'; weights: Mat | null; zsTemperature: number; keys: Mat; keyLabels: number[]; alpha: number; beta: number };

export interface FittedFewShot {
  params: FewShotParams;
  temperature: number;
  /** Chosen hyperparameters and their cross-validation scores, for reports. */
  info: Record<string, number | string | boolean>;
}

export function classCount(p: FewShotParams): number {
  switch (p.method) {
    case 'zeroshot': return p.weights.rows;
    case 'prototype': return p.prototypes.rows;
    case 'probe':
    case 'ridge': return p.W.rows;
    default: return p.weights ? p.weights.rows : Math.max(...p.keyLabels) + 1;
  }
}

export function paramsDim(p: FewShotParams): number {
  switch (p.method) {
    case 'zeroshot': return p.weights.cols;
    case 'prototype': return p.prototypes.cols;
    case 'probe':
    case 'ridge': return p.W.cols;
    default: return p.keys.cols;
  }
}

/**
 * Cache logits of Tip-Adapter for queries X: alpha * mean over each class's keys of exp(-beta (1 - x·k)).
 * The mean (not the paper's sum) keeps alpha's scale independent of the number of shots and fair to
 * classes with more examples in an unbalanced folder; for balanced sets it only rescales alpha.
 * `exclude(i, j)` drops key j for query i (leave-one-out scoring of the support set itself).
 */
export function cacheLogits(
  affinity: Float64Array, n: number, keyLabels: ArrayLike<number>, classes: number, alpha: number, beta: number,
  exclude?: (i: number, j: number) => boolean,
): Float64Array {
  const N = keyLabels.length;
  const out = new Float64Array(n * classes);
  const count = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    count.fill(0);
    const o = i * classes;
    for (let j = 0; j < N; j++) {
      if (exclude?.(i, j)) continue;
      const c = keyLabels[j];
      out[o + c] += Math.exp(-beta * (1 - affinity[i * N + j]));
      count[c]++;
    }
    for (let c = 0; c < classes; c++) out[o + c] = count[c] ? (alpha * out[o + c]) / count[c] : 0;
  }
  return out;
}

/** Logits of the fitted classifier for L2-normalised embeddings X (n x dim): n x classes, row-major. */
export function fewShotLogits(p: FewShotParams, X: Mat): Float64Array {
  const dim = paramsDim(p);
  if (X.cols !== dim) throw new InputError(`embeddings have ${X.cols} dims, the classifier expects ${dim}`);
  switch (p.method) {
    case 'zeroshot': return mulABt(X, p.weights);
    case 'prototype': return mulABt(X, p.prototypes);
    case 'probe':
    case 'ridge': {
      const out = mulABt(X, p.W);
      const C = p.W.rows;
      for (let i = 0; i < X.rows; i++) for (let c = 0; c < C; c++) out[i * C + c] += p.b[c];
      return out;
    }
    default: {
      const C = classCount(p);
      const out = cacheLogits(mulABt(X, p.keys), X.rows, p.keyLabels, C, p.alpha, p.beta);
      if (p.weights) {
        const zs = mulABt(X, p.weights);
        for (let k = 0; k < out.length; k++) out[k] += zs[k] / p.zsTemperature;
      }
      return out;
    }
  }
}
