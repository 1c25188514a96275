import { InputError } from '../../util/errors.js';

/**
 * Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): one scalar T so
 * that softmax(logits / T) has the lowest negative log-likelihood on labelled examples the classifier
 * was not fitted to (a dev split, held-out folds, or for zero-shot the few labelled examples at hand).
 * The argmax never changes; only how sure the probabilities are.
 */

/** Temperatures are kept in this range: 1e-3 makes cosine gaps of 0.01 ten logits apart. */
export const MIN_TEMPERATURE = 1e-3;
export const MAX_TEMPERATURE = 1e3;

function check(logits: Float64Array, c: number, truth: ArrayLike<number>): number {
  const n = truth.length;
  if (n === 0) throw new InputError('temperature calibration needs at least one labelled example');
  if (logits.length !== n * c) throw new InputError(`${logits.length} logits for ${n} examples x ${c} classes`);
  for (let i = 0; i < n; i++) if (!(truth[i] >= 0 && truth[i] < c)) throw new InputError(`example ${i}: label ${truth[i]} outside 0..${c - 1}`);
  return n;
}

/** Mean NLL of softmax(beta * logits), with its first and second derivative in beta. */
function nllAndDerivatives(logits: Float64Array, c: number, truth: ArrayLike<number>, beta: number): [number, number, number] {
  const n = truth.length;
  let f = 0, d1 = 0, d2 = 0;
  for (let i = 0; i < n; i++) {
    const o = i * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, beta * logits[o + j]);
    let z = 0, m1 = 0, m2 = 0;
    for (let j = 0; j < c; j++) {
      const e = Math.exp(beta * logits[o + j] - max);
      z += e;
      m1 += e * logits[o + j];
      m2 += e * logits[o + j] * logits[o + j];
    }
    const mean = m1 / z;
    f += max + Math.log(z) - beta * logits[o + truth[i]];
    d1 += mean - logits[o + truth[i]];
    d2 += m2 / z - mean * mean;
  }
  return [f / n, d1 / n, d2 / n];
}

/** Mean negative log-likelihood of softmax(logits / temperature) for the true classes. */
export function meanNll(logits: Float64Array, c: number, truth: ArrayLike<number>, temperature = 1): number {
  check(logits, c, truth);
  return nllAndDerivatives(logits, c, truth, 1 / temperature)[0];
}

/**
 * The temperature minimising the NLL. In beta = 1/T the NLL is convex (its second derivative is the
 * variance of the logits under the softmax), so a safeguarded Newton search on beta finds the optimum.
 * Logits that rank the true class below average get the maximum temperature (near-uniform); logits that
 * separate every example perfectly get the minimum.
 */
export function fitTemperature(logits: Float64Array, c: number, truth: ArrayLike<number>): number {
  check(logits, c, truth);
  let lo = 1 / MAX_TEMPERATURE;
  let hi = 1 / MIN_TEMPERATURE;
  if (nllAndDerivatives(logits, c, truth, lo)[1] >= 0) return MAX_TEMPERATURE;
  if (nllAndDerivatives(logits, c, truth, hi)[1] <= 0) return MIN_TEMPERATURE;
  let beta = 1;
  for (let it = 0; it < 100; it++) {
    const [, d1, d2] = nllAndDerivatives(logits, c, truth, beta);
    if (Math.abs(d1) < 1e-10) break;
    if (d1 > 0) hi = beta;
    else lo = beta;
    let next = d2 > 0 ? beta - d1 / d2 : NaN;
    // Newton when it stays inside the bracket, else bisect (geometrically: beta spans decades).
    if (!(next > lo && next < hi)) next = Math.sqrt(lo * hi);
    if (Math.abs(next - beta) <= 1e-9 * beta) {
      beta = next;
      break;
    }
    beta = next;
  }
  return 1 / beta;
}

/**
 * Expected calibration error: |accuracy - confidence| averaged over equal-width confidence bins,
 * weighted by bin size (15 bins as in Guo et al.). Probabilities are n x c, row-major.
 */
export function expectedCalibrationError(probs: Float64Array, c: number, truth: ArrayLike<number>, bins = 15): number {
  const n = check(probs, c, truth);
  const conf = new Float64Array(bins);
  const acc = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (probs[i * c + j] > probs[i * c + best]) best = j;
    const p = probs[i * c + best];
    const b = Math.min(bins - 1, Math.floor(p * bins));
    conf[b] += p;
    acc[b] += best === truth[i] ? 1 : 0;
    count[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]) ece += Math.abs(acc[b] - conf[b]) / n;
  return ece;
}

/** softmax(logits / temperature) row-wise, n x c. */
export function softmaxRows(logits: Float64Array, c: number, temperature = 1): Float64Array {
  const out = new Float64Array(logits.length);
  for (let o = 0; o < logits.length; o += c) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, logits[o + j] / temperature);
    let s = 0;
    for (let j = 0; j < c; j++) s += out[o + j] = Math.exp(logits[o + j] / temperature - max);
    for (let j = 0; j < c; j++) out[o + j] /= s;
  }
  return out;
}
