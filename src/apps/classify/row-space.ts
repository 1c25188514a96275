import type { FewShotParams, FittedFewShot } from './fewshot-model.js';
import { mulABt, type Mat } from './matrix.js';
import type { SupportData } from './support.js';

/**
 * Fitting in the support set's row space. Grid-pooled tower features have thousands of dimensions but a support
 * set only hundreds of rows. Every method here reads the data through dot products and keeps its parameters in the
 * span of the support rows (probe weights under an L2 penalty, prototypes, Tip-Adapter keys), so with X = L Q
 * (L = Cholesky factor of the Gram matrix X Xᵀ, Q orthonormal rows) the method can be fitted on L (n x n) and its
 * parameters M mapped back as M Q = (M L⁻¹) X. For the closed-form methods and the logistic probe (L-BFGS does not
 * depend on an orthonormal change of basis) it is the same model, with the cross-validation in n instead of d
 * dimensions. Tip-Adapter-F's Adam scales each coordinate by its own gradient history, so its fine-tuned keys differ
 * slightly from a full-space run (they stay in the support span). Only without a text prior: a prior lives outside
 * the span.
 */
export function worthReducing(d: SupportData): boolean {
  return d.zeroShot === null && d.X.cols > d.X.rows;
}

/** Lower-triangular L (float64, n x n) with L Lᵀ = K + jitter I (a tiny jitter keeps near-duplicate rows factorable). */
export function cholesky(K: Float64Array, n: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += K[i * n + i];
  const jitter = 1e-9 * (trace / n || 1);
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = K[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) L[i * n + i] = Math.sqrt(Math.max(s + jitter, jitter));
      else L[i * n + j] = s / L[j * n + j];
    }
  }
  return L;
}

/** Rows of M (r x n, float32) times L⁻¹, then times X: r x d. */
function backToFeatures(M: Mat, L: Float64Array, X: Mat): Mat {
  const n = X.rows;
  const B = new Float64Array(M.rows * n);
  // B L = M, row by row: back substitution from the last column.
  for (let r = 0; r < M.rows; r++) {
    const m = M.data.subarray(r * n, (r + 1) * n);
    const b = B.subarray(r * n, (r + 1) * n);
    for (let j = n - 1; j >= 0; j--) {
      let s = m[j];
      for (let k = j + 1; k < n; k++) s -= b[k] * L[k * n + j];
      b[j] = s / L[j * n + j];
    }
  }
  const d = X.cols;
  const out = new Float64Array(M.rows * d);
  for (let r = 0; r < M.rows; r++) {
    const o = out.subarray(r * d, (r + 1) * d);
    for (let k = 0; k < n; k++) {
      const w = B[r * n + k];
      if (w === 0) continue;
      const x = X.data.subarray(k * d, (k + 1) * d);
      for (let c = 0; c < d; c++) o[c] += w * x[c];
    }
  }
  return { rows: M.rows, cols: d, data: Float32Array.from(out) };
}

/** Fit `fit` on the support set's row-space coordinates and return the model in the original feature space. */
export function fitInRowSpace(d: SupportData, fit: (d: SupportData) => FittedFewShot): FittedFewShot {
  const n = d.X.rows;
  const L = cholesky(mulABt(d.X, d.X), n);
  const fitted = fit({ ...d, X: { rows: n, cols: n, data: Float32Array.from(L) } });
  const back = (M: Mat) => backToFeatures(M, L, d.X);
  const p = fitted.params;
  let params: FewShotParams;
  switch (p.method) {
    case 'prototype': params = { ...p, prototypes: back(p.prototypes) }; break;
    case 'probe':
    case 'ridge': params = { ...p, W: back(p.W) }; break;
    case 'tip':
    case 'tip-f': params = { ...p, keys: back(p.keys) }; break;
    default: return fit(d);
  }
  return { ...fitted, params, info: { ...fitted.info, row_space: n } };
}
