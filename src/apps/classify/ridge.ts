import { fitTemperature } from './calibrate.js';
import type { FittedFewShot } from './fewshot-model.js';
import { foldCount, stratifiedFolds } from './folds.js';
import { mulABt, type Mat } from './matrix.js';
import { cholesky } from './row-space.js';
import { better, checkSupport, scoreLogits, type SupportData } from './support.js';

/** Penalties tried (on unit-length rows: lambda is in units of one example's squared norm). */
export const RIDGE_LAMBDAS = [3, 1, 0.3, 0.1, 0.03, 0.01, 0.003];

/**
 * Ridge probe: regularised least squares from the features to ±1 class targets (one-vs-rest), solved in the dual
 * (n x n kernel, so thousands of feature dimensions cost nothing extra), penalty by stratified k-fold
 * cross-validation on the support set (accuracy, then NLL; ties go to the stronger penalty), temperature fitted
 * on the held-out logits of the chosen penalty. Meant for wide grid-pooled tower features with few examples per
 * class, where squared loss with a closed form needs no iterative solver to converge (docs/traffic-signs.md compares
 * the methods on GTSRB test). No text prior.
 */
export function fitRidge(d: SupportData, opts: { lambdas?: number[]; folds?: number } = {}): FittedFewShot {
  checkSupport(d);
  const { X, y, classes: C } = d;
  const n = X.rows;
  const lambdas = [...(opts.lambdas ?? RIDGE_LAMBDAS)].sort((a, b) => b - a);
  const K = mulABt(X, X);
  const k = foldCount(n, opts.folds ?? 4);
  const fold = stratifiedFolds(y, k, d.seed ?? 0);
  let best: { accuracy: number; nll: number; lambda: number; heldOut: Float64Array } | undefined;
  if (k >= 2) {
    const held = lambdas.map(() => new Float64Array(n * C));
    for (let f = 0; f < k; f++) {
      const tr = [...y.keys()].filter((i) => fold[i] !== f);
      const te = [...y.keys()].filter((i) => fold[i] === f);
      lambdas.forEach((lambda, li) => {
        const { alpha, bias } = solveDual(K, n, tr, y, C, lambda);
        for (const i of te) {
          for (let c = 0; c < C; c++) {
            let s = bias[c];
            for (let r = 0; r < tr.length; r++) s += K[i * n + tr[r]] * alpha[r * C + c];
            held[li][i * C + c] = s;
          }
        }
      });
    }
    for (let li = 0; li < lambdas.length; li++) {
      const s = { ...scoreLogits(held[li], C, y), lambda: lambdas[li], heldOut: held[li] };
      // Strongest penalty first: a later one must be strictly better to win.
      if (!best || better(s, best)) best = s;
    }
  }
  const lambda = best?.lambda ?? 0.1;
  const all = [...y.keys()];
  const { alpha, bias } = solveDual(K, n, all, y, C, lambda);
  // Primal weights W = alphaᵀ X (classes x dim).
  const W = new Float64Array(C * X.cols);
  for (let r = 0; r < n; r++) {
    const x = X.data.subarray(r * X.cols, (r + 1) * X.cols);
    for (let c = 0; c < C; c++) {
      const a = alpha[r * C + c];
      const o = c * X.cols;
      for (let j = 0; j < X.cols; j++) W[o + j] += a * x[j];
    }
  }
  const temperature = best ? fitTemperature(best.heldOut, C, y) : 1;
  return {
    params: { method: 'ridge', W: { rows: C, cols: X.cols, data: Float32Array.from(W) } as Mat, b: Array.from(bias) },
    temperature,
    info: { lambda, folds: k, ...(best ? { cv_accuracy: best.accuracy, cv_nll: best.nll } : {}) },
  };
}

/**
 * alpha = (K[idx, idx] + lambda I)⁻¹ (Y - bias) for ±1 targets of the rows idx; bias = the mean target per class
 * (an unpenalised intercept for centred features).
 */
function solveDual(K: Float64Array, n: number, idx: number[], y: number[], C: number, lambda: number): { alpha: Float64Array; bias: Float64Array } {
  const m = idx.length;
  const bias = new Float64Array(C);
  for (const i of idx) for (let c = 0; c < C; c++) bias[c] += (y[i] === c ? 1 : -1) / m;
  const Ks = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) Ks[a * m + b] = K[idx[a] * n + idx[b]] + (a === b ? lambda : 0);
  const L = cholesky(Ks, m);
  // Solve L Lᵀ alpha = T column by column (all columns at once, row-major m x C).
  const Z = new Float64Array(m * C);
  for (let a = 0; a < m; a++) {
    for (let c = 0; c < C; c++) {
      let s = (y[idx[a]] === c ? 1 : -1) - bias[c];
      for (let k = 0; k < a; k++) s -= L[a * m + k] * Z[k * C + c];
      Z[a * C + c] = s / L[a * m + a];
    }
  }
  const alpha = new Float64Array(m * C);
  for (let a = m - 1; a >= 0; a--) {
    for (let c = 0; c < C; c++) {
      let s = Z[a * C + c];
      for (let k = a + 1; k < m; k++) s -= L[k * m + a] * alpha[k * C + c];
      alpha[a * C + c] = s / L[a * m + a];
    }
  }
  return { alpha, bias };
}
