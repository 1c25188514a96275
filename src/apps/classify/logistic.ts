import { InputError } from '../../util/errors.js';
import { minimizeLbfgs } from './lbfgs.js';
import { mulABt, type Mat } from './matrix.js';

/**
 * Multinomial logistic regression with an L2 penalty towards a prior:
 *   mean_i CE(W x_i + b, y_i) + lambda/2 (|W - W0|^2 + |b|^2)
 * W0 = 0 is the classic ridge-penalised linear probe; W0 = the (scaled) zero-shot class vectors makes a
 * large lambda fall back to zero-shot instead of to "know nothing", which is what helps at 1-2 shots.
 */
export interface LogisticModel {
  /** classes x dim, row-major. */
  W: Float64Array;
  /** One bias per class. */
  b: Float64Array;
  classes: number;
  dim: number;
}

export interface LogisticOptions {
  lambda: number;
  /** classes x dim prior weights (W0), or none (zeros). */
  prior?: Float64Array | null;
  /** Warm start (e.g. the solution at a neighbouring lambda). */
  init?: LogisticModel;
  maxIter?: number;
}

export function fitLogistic(X: Mat, y: ArrayLike<number>, classes: number, opts: LogisticOptions): LogisticModel & { iterations: number } {
  const n = X.rows;
  const d = X.cols;
  const C = classes;
  if (n === 0) throw new InputError('logistic regression needs at least one example');
  if (y.length !== n) throw new InputError(`${y.length} labels for ${n} examples`);
  if (!(opts.lambda > 0)) throw new InputError(`lambda must be > 0 (got ${opts.lambda})`);
  const prior = opts.prior ?? null;
  if (prior && prior.length !== C * d) throw new InputError(`prior has ${prior.length} values, expected ${C} x ${d}`);
  const lambda = opts.lambda;
  const x = X.data;
  const nW = C * d;
  const z = new Float64Array(C);

  const Wf: Mat = { rows: C, cols: d, data: new Float32Array(nW) };
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    for (let j = 0; j < nW; j++) Wf.data[j] = theta[j];
    const Z = mulABt(X, Wf); // n x C logits without bias
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      const zo = i * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) {
        const s = (z[c] = Z[zo + c] + theta[nW + c]);
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += z[c] = Math.exp(z[c] - max);
      const yi = y[i];
      loss -= Math.log(z[yi] / sum);
      for (let c = 0; c < C; c++) {
        const g = (z[c] / sum - (c === yi ? 1 : 0)) / n;
        if (Math.abs(g) < 1e-12) continue; // tiny probabilities: skip the d-long update
        grad[nW + c] += g;
        const wo = c * d;
        for (let k = 0; k < d; k++) grad[wo + k] += g * x[xo + k];
      }
    }
    loss /= n;
    let reg = 0;
    for (let j = 0; j < nW; j++) {
      const diff = theta[j] - (prior ? prior[j] : 0);
      reg += diff * diff;
      grad[j] += lambda * diff;
    }
    for (let c = 0; c < C; c++) {
      reg += theta[nW + c] * theta[nW + c];
      grad[nW + c] += lambda * theta[nW + c];
    }
    return loss + 0.5 * lambda * reg;
  };

  const theta0 = new Float64Array(nW + C);
  if (opts.init) {
    theta0.set(opts.init.W);
    theta0.set(opts.init.b, nW);
  } else if (prior) {
    theta0.set(prior);
  }
  const r = minimizeLbfgs(objective, theta0, { maxIter: opts.maxIter ?? 300, gradTol: 1e-5, relTol: 1e-10 });
  return { W: r.x.slice(0, nW), b: r.x.slice(nW), classes: C, dim: d, iterations: r.iterations };
}

/** Logits W x + b for every row of X: n x classes, row-major. */
export function logisticLogits(m: LogisticModel, X: Mat): Float64Array {
  if (X.cols !== m.dim) throw new InputError(`inputs have ${X.cols} dims, the model ${m.dim}`);
  const { W, b, classes: C, dim: d } = m;
  const out = new Float64Array(X.rows * C);
  for (let i = 0; i < X.rows; i++) {
    const xo = i * d;
    for (let c = 0; c < C; c++) {
      let s = b[c];
      const wo = c * d;
      for (let k = 0; k < d; k++) s += W[wo + k] * X.data[xo + k];
      out[i * C + c] = s;
    }
  }
  return out;
}
