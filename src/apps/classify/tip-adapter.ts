import { DEFAULT_TEMPERATURE } from '../../eval/zero-shot.js';
import { fitTemperature } from './calibrate.js';
import { cacheLogits, type FittedFewShot } from './fewshot-model.js';
import { mulABt } from './matrix.js';
import { better, checkSupport, scoreLogits, zeroShotOnSupport, type SupportData } from './support.js';

/** Sharpness of the key affinities exp(-beta (1 - cos)) and weight of the cache against the zero-shot logits. */
export const TIP_BETAS = [0.5, 1, 2, 4, 8, 16, 32, 64];
export const TIP_ALPHAS = [0, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16, 32, 64];

export interface TipSearch {
  alpha: number;
  beta: number;
  /** Leave-one-out accuracy / NLL of the chosen setting on the support set. */
  accuracy: number;
  nll: number;
  /** Leave-one-out logits of the chosen setting (for the temperature). */
  logits: Float64Array;
}

/**
 * Zero-shot logits of the support set (cosines / calibrated temperature), or zeros without a prior.
 * Shared by Tip-Adapter and Tip-Adapter-F.
 */
export function tipZeroShot(d: SupportData): { logits: Float64Array; temperature: number } {
  const zs = zeroShotOnSupport(d);
  if (!zs) return { logits: new Float64Array(d.X.rows * d.classes), temperature: DEFAULT_TEMPERATURE };
  return { logits: zs.cosines.map((v) => v / zs.temperature), temperature: zs.temperature };
}

/**
 * Grid search of (alpha, beta) by leave-one-out on the support set: each example is scored by the zero-shot
 * logits plus a cache made of all the other examples. Training-free: it only looks things up.
 */
export function searchTip(d: SupportData, zsLogits: Float64Array, keyAffinity: Float64Array, betas = TIP_BETAS, alphas = TIP_ALPHAS): TipSearch {
  const { X, y, classes } = d;
  const n = X.rows;
  let best: TipSearch | undefined;
  const noPrior = !d.zeroShot;
  for (const beta of betas) {
    const base = cacheLogits(keyAffinity, n, y, classes, 1, beta, (i, j) => i === j);
    for (const alpha of alphas) {
      if (noPrior && alpha === 0) continue; // without a prior the cache is the whole classifier
      const logits = new Float64Array(n * classes);
      for (let k = 0; k < logits.length; k++) logits[k] = zsLogits[k] + alpha * base[k];
      const s = scoreLogits(logits, classes, y);
      if (better(s, best)) best = { alpha, beta, ...s, logits };
    }
  }
  return best as TipSearch;
}

/** Tip-Adapter (training-free): the support embeddings are the cache keys; alpha and beta by leave-one-out. */
export function fitTip(d: SupportData): FittedFewShot {
  checkSupport(d);
  const zs = tipZeroShot(d);
  const s = searchTip(d, zs.logits, mulABt(d.X, d.X));
  return {
    params: {
      method: 'tip',
      weights: d.zeroShot,
      zsTemperature: zs.temperature,
      keys: { rows: d.X.rows, cols: d.X.cols, data: Float32Array.from(d.X.data) },
      keyLabels: [...d.y],
      alpha: s.alpha,
      beta: s.beta,
    },
    temperature: fitTemperature(s.logits, d.classes, d.y),
    info: { alpha: s.alpha, beta: s.beta, loo_accuracy: s.accuracy, loo_nll: s.nll, zs_temperature: zs.temperature },
  };
}
