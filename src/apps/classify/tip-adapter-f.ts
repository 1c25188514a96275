import { fitTemperature } from './calibrate.js';
import { cacheLogits, type FittedFewShot } from './fewshot-model.js';
import { foldCount, stratifiedFolds } from './folds.js';
import { mulABt, selectRows, type Mat } from './matrix.js';
import { createRng, shuffleInPlace } from '../../util/rng.js';
import { better, checkSupport, scoreLogits, type SupportData } from './support.js';
import { searchTip, tipZeroShot } from './tip-adapter.js';

export interface TipFOptions {
  /** Training length in epochs over the support set (at least `minSteps` Adam steps). */
  epochs?: number;
  minSteps?: number;
  /** Examples per Adam step. */
  batchSize?: number;
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
  batchSize: number;
  seed: number;
}

/**
 * Mini-batch Adam on the cache keys, minimising the cross-entropy of zero-shot + cache logits on the
 * training examples (Tip-Adapter-F: the keys become a learnable linear layer initialised from the
 * support embeddings). `visit(step, keys)` is called at step 0 and after every step in `checkpoints`.
 */
function trainKeys(t: KeyTraining, init: Mat, steps: number, checkpoints: Set<number>, visit?: (step: number, keys: Mat) => void): Mat {
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
  const bs = Math.min(t.batchSize, n);
  const G = new Float64Array(bs * C);
  const rng = createRng(t.seed);
  let order: number[] = [];
  visit?.(0, keys);
  for (let step = 1; step <= steps; step++) {
    if (order.length < bs) order = [...order, ...shuffleInPlace([...Array(n).keys()], rng)];
    const batch = order.splice(0, bs);
    const Xb = selectRows(X, batch);
    const A = mulABt(Xb, keys).map((s) => Math.exp(-beta * (1 - s)));
    // logits -> G = (softmax - onehot) / batch
    for (let r = 0; r < bs; r++) {
      const i = batch[r];
      const o = r * C;
      for (let c = 0; c < C; c++) G[o + c] = zs[i * C + c];
      for (let j = 0; j < N; j++) G[o + keyLabels[j]] += (alpha * A[r * N + j]) / count[keyLabels[j]];
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, G[o + c]);
      let s = 0;
      for (let c = 0; c < C; c++) s += G[o + c] = Math.exp(G[o + c] - max);
      for (let c = 0; c < C; c++) G[o + c] = (G[o + c] / s - (c === y[i] ? 1 : 0)) / bs;
    }
    // dL/dk_j = sum_i G[i, label_j] * alpha * beta * A_ij / count_j * x_i
    grad.fill(0);
    for (let j = 0; j < N; j++) {
      const scale = (alpha * beta) / count[keyLabels[j]];
      const go = j * d;
      for (let r = 0; r < bs; r++) {
        const w = G[r * C + keyLabels[j]] * A[r * N + j] * scale;
        if (Math.abs(w) < 1e-12) continue;
        const xo = r * d;
        for (let k = 0; k < d; k++) grad[go + k] += w * Xb.data[xo + k];
      }
    }
    const b1 = 0.9, b2 = 0.999;
    const c1 = 1 - b1 ** step, c2 = 1 - b2 ** step;
    for (let k = 0; k < grad.length; k++) {
      m[k] = b1 * m[k] + (1 - b1) * grad[k];
      v[k] = b2 * v[k] + (1 - b2) * grad[k] * grad[k];
      keys.data[k] -= (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + 1e-8);
    }
    if (checkpoints.has(step)) visit?.(step, keys);
  }
  return keys;
}

/** Adam steps for n examples: `epochs` passes in batches, but at least minSteps. */
function stepCount(n: number, o: Required<TipFOptions>): number {
  return Math.max(o.minSteps, o.epochs * Math.ceil(n / Math.min(o.batchSize, n)));
}

/**
 * Tip-Adapter-F: start from Tip-Adapter (alpha and beta by leave-one-out), then fine-tune the cache keys.
 * How many steps is chosen on a held-out fold of the support set (0 steps, i.e. plain Tip-Adapter,
 * when fine-tuning does not help there); the final keys are trained on all examples for that many steps.
 */
export function fitTipF(d: SupportData, opts: TipFOptions = {}): FittedFewShot {
  checkSupport(d);
  // Tip-Adapter-F's recipe (lr 1e-3, 20 epochs, batch 256), with a floor on steps for tiny support sets.
  const o: Required<TipFOptions> = { epochs: 20, minSteps: 100, batchSize: 128, learningRate: 1e-3, ...opts };
  const { X, y, classes } = d;
  const seed = d.seed ?? 0;
  const zs = tipZeroShot(d);
  const tip = searchTip(d, zs.logits, mulABt(X, X));
  const base = { classes, alpha: tip.alpha, beta: tip.beta, lr: o.learningRate, batchSize: o.batchSize, seed };

  // Choose the number of steps on one held-out fold (a quarter of the examples): 0 to the full schedule.
  const k = foldCount(X.rows, 4);
  let steps = 0;
  let temperature = fitTemperature(tip.logits, classes, y);
  let val: { accuracy: number; nll: number } | undefined;
  const fold = stratifiedFolds(y, k, seed + 1);
  const tr = [...y.keys()].filter((i) => fold[i] !== 0);
  const te = [...y.keys()].filter((i) => fold[i] === 0);
  const total = stepCount(X.rows, o);
  if (k >= 2 && tip.alpha > 0 && tr.length && te.length) {
    const pick = (idx: number[]) => ({ X: selectRows(X, idx), y: idx.map((i) => y[i]), zs: pickRows(zs.logits, idx, classes) });
    const a = pick(tr);
    const b = pick(te);
    // Checkpoints at a tenth of the schedule each, in steps of the full set's schedule.
    const checkpoints = new Set(Array.from({ length: 10 }, (_, q) => Math.round(((q + 1) * total) / 10)));
    let bestLogits: Float64Array | undefined;
    trainKeys({ ...base, ...a, keyLabels: a.y }, a.X, total, checkpoints, (step, keys) => {
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
  const keys = steps > 0 ? trainKeys({ ...base, X, y, zs: zs.logits, keyLabels: y }, X, steps, new Set()) : X;
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
      alpha: tip.alpha, beta: tip.beta, steps, max_steps: total, learning_rate: o.learningRate, loo_accuracy: tip.accuracy,
      ...(val ? { val_accuracy: val.accuracy, val_nll: val.nll } : {}),
    },
  };
}

function pickRows(a: Float64Array, idx: number[], cols: number): Float64Array {
  const out = new Float64Array(idx.length * cols);
  idx.forEach((i, r) => out.set(a.subarray(i * cols, (i + 1) * cols), r * cols));
  return out;
}
