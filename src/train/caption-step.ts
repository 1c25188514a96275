import { blockLogits, decodeHidden, encodeMemory, memoryKeys } from '../model/caption-decoder.js';
import type { CaptionModel } from '../model/caption-model.js';
import { END, PAD, type CaptionLang } from '../model/caption-vocab.js';
import type { SeedSource } from '../model/layers.js';
import { tf } from '../model/tf.js';
import { scatterRows, type AdamW, type SparseAdamW } from './adamw.js';

/**
 * One teacher-forced batch: N images and R = N * k caption rows, row r showing image r % N
 * (k captions per image, e.g. one English and one Chinese). ids [R, T + 1] = [lang, tokens..., END, PAD...].
 */
export interface CaptionBatch {
  maps: Float32Array;
  images: number;
  rows: number;
  /** Row-major [rows, T + 1]. */
  ids: Int32Array;
  T: number;
  /** All rows are captions in this language. */
  lang: CaptionLang;
  /** Per-row weight of the loss (self-critical training: the sample's advantage); default 1. */
  weights?: Float32Array;
}

let uid = 0;

/** Token rows [rows, T + 1] for captions (already encoded), padded with PAD to the longest. */
export function packIds(seqs: number[][]): { ids: Int32Array; T: number } {
  const L = Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(seqs.length * L).fill(PAD);
  seqs.forEach((s, i) => ids.set(s, i * L));
  return { ids, T: L - 1 };
}

/** Inputs (ids[:, :-1]) and targets (ids[:, 1:]) with the target mask (1 = a real token, [END] included). */
export function shiftBatch(b: CaptionBatch): { input: Int32Array; target: Int32Array; mask: Float32Array } {
  const { rows, T } = b;
  const input = new Int32Array(rows * T);
  const target = new Int32Array(rows * T);
  const mask = new Float32Array(rows * T);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < T; t++) {
      input[r * T + t] = b.ids[r * (T + 1) + t];
      const y = b.ids[r * (T + 1) + t + 1];
      target[r * T + t] = y;
      mask[r * T + t] = y === PAD ? 0 : 1;
    }
  }
  return { input, target, mask };
}

/** Mean label-smoothed cross-entropy over real target tokens (and the plain NLL, for reporting). */
export function captionLoss(
  model: CaptionModel,
  b: CaptionBatch,
  tokens: tf.Tensor3D,
  target: Int32Array,
  mask: Float32Array,
  smoothing: number,
  training: boolean,
  seed?: SeedSource,
): { loss: tf.Scalar; nll: tf.Scalar } {
  const { config: cfg, params: P, vocab } = model;
  const [from, to] = vocab.ranges[b.lang];
  const V = to - from + 1;
  // Targets as indices into the language block ([END] = 0); [UNK] targets cannot be generated and are not scored.
  mask = mask.slice();
  const local = target.map((y, i) => {
    if (y === END) return 0;
    if (y >= from && y < to) return y - from + 1;
    mask[i] = 0;
    return 0;
  });
  const N = b.images;
  const map = tf.tensor2d(b.maps, [N, b.maps.length / N]);
  const mem = encodeMemory(P, cfg, map, training, seed);
  let keys = memoryKeys(P, cfg, mem);
  const k = b.rows / N;
  // Rows are image-major within each block of N, so repeating the keys block-wise lines them up (concat has a wasm gradient, gather does not).
  if (k > 1) keys = keys.map(({ k: kk, v }) => ({ k: tf.concat(Array(k).fill(kk), 0) as tf.Tensor3D, v: tf.concat(Array(k).fill(v), 0) as tf.Tensor3D }));
  const hid = decodeHidden(P, cfg, tokens, keys, training, seed);
  const logp = tf.logSoftmax(tf.reshape(blockLogits(P, hid, END, from, to), [b.rows * b.T, V]));
  const m = tf.tensor1d(mask);
  const count = Math.max(1, mask.reduce((a, x) => a + x, 0));
  const onehot = tf.oneHot(tf.tensor1d(local, 'int32'), V).toFloat();
  const nllRows = tf.neg(tf.sum(tf.mul(onehot, logp), -1));
  const nll = tf.div(tf.sum(tf.mul(nllRows, m)), count) as tf.Scalar;
  if (b.weights) {
    // Policy gradient: each row's log-likelihood scaled by its weight (label smoothing does not apply).
    const w = b.weights;
    const mw = tf.tensor1d(mask.map((x, i) => x * w[Math.floor(i / b.T)]));
    return { loss: tf.div(tf.sum(tf.mul(nllRows, mw)), count) as tf.Scalar, nll };
  }
  if (smoothing === 0) return { loss: nll, nll };
  // Label smoothing (Szegedy et al.): target = (1 - e) one-hot + e uniform.
  const uniRows = tf.neg(tf.mean(logp, -1));
  const loss = tf.div(tf.sum(tf.mul(tf.add(tf.mul(nllRows, 1 - smoothing), tf.mul(uniRows, smoothing)), m)), count) as tf.Scalar;
  return { loss, nll };
}

export interface CaptionStepResult {
  loss: number;
  nll: number;
  gradNorm: number;
}

/** Forward + backward + AdamW update (dense parameters) + sparse AdamW on the token rows used. */
export function captionTrainStep(
  model: CaptionModel,
  b: CaptionBatch,
  opt: { dense: AdamW; sparse: SparseAdamW; lr: number; gradClip: number; smoothing: number; seed: SeedSource; dropout?: boolean },
): CaptionStepResult {
  const d = model.config.d_model;
  const { input, target, mask } = shiftBatch(b);
  const init = tf.tensor3d(model.embedding.gather(input), [b.rows, b.T, d]);
  const tokVar = tf.variable(init, true, `captokens#${uid++}`);
  init.dispose();
  const names = [...model.params.trainable];
  const vars = names.map((n) => model.params.get(n));
  let nllValue = 0;
  const { value, grads } = tf.variableGrads(() => {
    const { loss, nll } = captionLoss(model, b, tokVar as tf.Tensor as tf.Tensor3D, target, mask, opt.smoothing, opt.dropout ?? true, opt.seed);
    nllValue = nll.dataSync()[0];
    return loss;
  }, [...vars, tokVar]);
  const loss = value.dataSync()[0];
  value.dispose();
  const tokGrad = grads[tokVar.name].dataSync() as Float32Array;
  grads[tokVar.name].dispose();
  tokVar.dispose();
  // Every input position is a real token or padding after [END]; padding rows get no gradient.
  const ids = input.map((id) => (id === PAD ? -1 : id));
  const rowGrads = scatterRows(ids, tokGrad, d, (r) => r >= 0);

  let sq = tf.tidy(() => tf.addN(vars.map((v) => tf.sum(tf.square(grads[v.name])))).dataSync()[0]);
  for (const g of rowGrads.values()) for (let j = 0; j < g.length; j++) sq += g[j] * g[j];
  const gradNorm = Math.sqrt(sq);
  const clip = opt.gradClip > 0 && gradNorm > opt.gradClip ? opt.gradClip / gradNorm : 1;
  const named = new Map<string, tf.Tensor>();
  names.forEach((n, i) => named.set(n, clip === 1 ? grads[vars[i].name] : tf.tidy(() => tf.mul(grads[vars[i].name], clip))));
  if (clip !== 1) for (const g of rowGrads.values()) for (let j = 0; j < g.length; j++) g[j] *= clip;
  opt.dense.apply(named, opt.lr);
  opt.sparse.apply(rowGrads, opt.lr);
  for (const v of vars) grads[v.name].dispose();
  if (clip !== 1) for (const g of named.values()) g.dispose();
  return { loss, nll: nllValue, gradNorm };
}
