import { InputError } from '../util/errors.js';

function checkPairs(predicted: ArrayLike<unknown>, truth: ArrayLike<number>): void {
  if (predicted.length !== truth.length) throw new InputError(`${predicted.length} predictions for ${truth.length} labels`);
  if (truth.length === 0) throw new InputError('no examples to score');
}

/** Fraction (0-1) of predictions equal to the true label. */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  checkPairs(predicted, truth);
  let ok = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) ok++;
  return ok / truth.length;
}

/** confusion[true][predicted] = count. */
export function confusionMatrix(predicted: ArrayLike<number>, truth: ArrayLike<number>, nClasses: number): number[][] {
  checkPairs(predicted, truth);
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    const p = predicted[i];
    if (!(t >= 0 && t < nClasses && p >= 0 && p < nClasses)) throw new InputError(`example ${i}: label ${t} / prediction ${p} outside 0..${nClasses - 1}`);
    m[t][p]++;
  }
  return m;
}

/** Recall of each class (0-1); null for a class with no examples. */
export function perClassAccuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>, nClasses: number): (number | null)[] {
  return confusionMatrix(predicted, truth, nClasses).map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? null : row[c] / total;
  });
}

/** Mean of the per-class accuracies over the classes that have examples (balanced accuracy). */
export function meanPerClassAccuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>, nClasses: number): number {
  const per = perClassAccuracy(predicted, truth, nClasses).filter((x): x is number => x !== null);
  return per.reduce((a, b) => a + b, 0) / per.length;
}

/** Index of the largest score (first one on ties). */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

/**
 * Top-k accuracy (0-1): the true class is among the k highest scores. Ties break by class index, as in
 * argmax (lower index first), so top-1 equals the accuracy of argmax predictions; an encoder that scores
 * every class alike "predicts" class 0 everywhere, which is chance level, never better.
 */
export function topKAccuracy(scores: ArrayLike<number>[], truth: ArrayLike<number>, k: number): number {
  checkPairs(scores, truth);
  let ok = 0;
  for (let i = 0; i < truth.length; i++) {
    const row = scores[i];
    const t = truth[i];
    const target = row[t];
    let above = 0;
    for (let c = 0; c < row.length; c++) if (row[c] > target || (c < t && row[c] === target)) above++;
    if (above < k) ok++;
  }
  return ok / truth.length;
}

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); 0 for a single value. */
  std: number;
  n: number;
}

/** Mean ± sample std, e.g. of an accuracy over several seeds. */
export function meanStd(values: number[]): MeanStd {
  const n = values.length;
  if (n === 0) throw new InputError('meanStd of no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}

/** "71.3 ± 1.2" with the given number of decimals. */
export function formatMeanStd(m: MeanStd, digits = 1): string {
  return `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`;
}
