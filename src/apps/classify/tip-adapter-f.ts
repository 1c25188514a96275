import { fitTemperature } from './calibrate.js';
import { cacheLogits, type FittedFewShot } from './fewshot-model.js';
import { foldCount, stratifiedFolds } from './folds.js';
import { mulABt, selectRows, type Mat } from './matrix.js';
import { better, checkSupport, scoreLogits, type SupportData } from './support.js';
import { searchTip, tipZeroShot } from './tip-adapter.js';

export interface TipFOptions {
  /** Most Adam steps (full batch) to consider; the number used is chosen on a held-out fold. */
  maxSteps?: number;
  /** Validate every this many steps. */
  every?: number;
  learningRate?: number;
}

interface KeyTraining {
  X: Mat;
  y: number[];
  zs: Float64Array;
  keyLabels: number[];
  classes: number;
  alpha: number;
  beta: number;
  lr: number;
}

/**
 * Full-batch Adam on the cache keys, minimising the cross-entropy of zero-shot + cache logits on the
 * training examples (Tip-Adapter-F: the keys become a learnable linear layer initialised from the
 * support embeddings). `visit(step, keys)` is called at step 0 and every `every` steps.
 */
function trainKeys(t: KeyTraining, init: Mat, steps: number, every: number, visit?: (step: number, keys: Mat) => void): Mat {
  const { X, y, zs, keyLabels, classes: C, alpha, beta, lr } = t;
  const n = X.rows;
  const d = X.cols;
  const N = init.rows;
  const keys: Mat = { rows: N, cols: d, data: Float32Array.from(init.data) };
  const m = new Float64Array(N * d);
  const v = new Float64Array(N * d);
  const count = new Float64Array(C);
  for (const c of keyLabels) count[c]++;
  const grad = new Float64Array(N * d);
  const G = new Float64Array(n * C);
  visit?.(0, keys);
  for (let step = 1; step <= steps; step++) {
    const S = mulABt(X, keys);
    const A = S.map((s) => Math.exp(-beta * (1 - s)));
    // logits -> G = (softmax - onehot) / n
    for (let i = 0; i < n; i++) {
      const o = i * C;
      for (let c = 0; c < C; c++) G[o + c] = zs[o + c];
      for (let j = 0; j < N; j++) G[o + keyLabels[j]] += (alpha * A[i * N + j]) / count[keyLabels[j]];
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, G[o + c]);
      let s = 0;
      for (let c = 0; c < C; c++) s += G[o + c] = Math.exp(G[o + c] - max);
      for (let c = 0; c < C; c++) G[o + c] = (G[o + c] / s - (c === y[i] ? 1 : 0)) / n;
    }
    // dL/dk_j = sum_i G[i, label_j] * alpha * beta * A_ij / count_j * x_i
    grad.fill(0);
    for (let j = 0; j < N; j++) {
      const scale = (alpha * beta) / count[keyLabels[j]];
      const go = j * d;
      for (let i = 0; i < n; i++) {
        const w = G[i * C + keyLabels[j]] * A[i * N + j] * scale;
        if (Math.abs(w) < 1e-12) continue;
        const xo = i * d;
        for (let k = 0; k < d; k++) grad[go + k] += w * X.data[xo + k];
      }
    }
    const b1 = 0.9, b2 = 0.999;
    const c1 = 1 - b1 ** step, c2 = 1 - b2 ** step;
    for (let k = 0; k < grad.length; k++) {
      m[k] = b1 * m[k] + (1 - b1) * grad[k];
      v[k] = b2 * v[k] + (1 - b2) * grad[k] * grad[k];
      keys.data[k] -= (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + 1e-8);
    }
    if (step % every === 0) visit?.(step, keys);
  }
  return keys;
}

/**
 * Tip-Adapter-F: start from Tip-Adapter (alpha and beta by leave-one-out), then fine-tune the cache keys.
 * How many steps is chosen on a held-out fold of the support set (0 steps, i.e. plain Tip-Adapter,
 * when fine-tuning does not help there); the final keys are trained on all examples for that many steps.
 */
export function fitTipF(d: SupportData, opts: TipFOptions = {}): FittedFewShot {
  checkSupport(d);
  const maxSteps = opts.maxSteps ?? 200;
  const every = opts.every ?? 20;
  const lr = opts.learningRate ?? 1e-3;
  const { X, y, classes } = d;
  const zs = tipZeroShot(d);
  const tip = searchTip(d, zs.logits, mulABt(X, X));
  const base = { classes, alpha: tip.alpha, beta: tip.beta, lr };

  // Choose the number of steps on one held-out fold (a quarter of the examples).
  const k = foldCount(X.rows, 4);
  let steps = 0;
  let temperature = fitTemperature(tip.logits, classes, y);
  let val: { accuracy: number; nll: number } | undefined;
  const fold = stratifiedFolds(y, k, (d.seed ?? 0) + 1);
  const tr = [...y.keys()].filter((i) => fold[i] !== 0);
  const te = [...y.keys()].filter((i) => fold[i] === 0);
  if (k >= 2 && tip.alpha > 0 && tr.length && te.length) {
    const pick = (idx: number[]) => ({ X: selectRows(X, idx), y: idx.map((i) => y[i]), zs: pickRows(zs.logits, idx, classes) });
    const a = pick(tr);
    const b = pick(te);
    let bestLogits: Float64Array | undefined;
    trainKeys({ ...base, ...a, keyLabels: a.y }, a.X, maxSteps, every, (step, keys) => {
      const logits = cacheLogits(mulABt(b.X, keys), te.length, a.y, classes, tip.alpha, tip.beta);
      for (let q = 0; q < logits.length; q++) logits[q] += b.zs[q];
      const s = scoreLogits(logits, classes, b.y);
      if (better(s, val)) {
        val = s;
        steps = step;
        bestLogits = logits;
      }
    });
    if (steps > 0 && bestLogits) temperature = fitTemperature(bestLogits, classes, b.y);
  }
  const keys = steps > 0 ? trainKeys({ ...base, X, y, zs: zs.logits, keyLabels: y }, X, steps, steps) : X;
  return {
    params: {
      method: 'tip-f',
      weights: d.zeroShot,
      zsTemperature: zs.temperature,
      keys: { rows: keys.rows, cols: keys.cols, data: Float32Array.from(keys.data) },
      keyLabels: [...y],
      alpha: tip.alpha,
      beta: tip.beta,
    },
    temperature,
    info: {
      alpha: tip.alpha, beta: tip.beta, steps, learning_rate: lr, loo_accuracy: tip.accuracy,
      ...(val ? { val_accuracy: val.accuracy, val_nll: val.nll } : {}),
    },
  };
}

function pickRows(a: Float64Array, idx: number[], cols: number): Float64Array {
  const out = new Float64Array(idx.length * cols);
  idx.forEach((i, r) => out.set(a.subarray(i * cols, (i + 1) * cols), r * cols));
  return out;
}
