import type { ImageConfig } from './config.js';
import { dropout, gelu, l2normalizeRows, type SeedSource } from './layers.js';
import { linear } from './matmul.js';
import { normalValues, ones, zeros, type ParamSet } from './params.js';
import { tf } from './tf.js';

/**
 * The trainable image head over frozen tower features (LiT: the tower is locked, only this head learns).
 * Each input (a tower tap or detector scores) is normalised on its own — standardised with train-split
 * statistics stored as frozen parameters, or L2-normalised — so wide inputs do not drown narrow ones;
 * then concatenated -> input dropout -> MLP (Linear-GELU-Dropout-Linear) or one Linear -> embed_dim.
 */
export function defineImageHead(P: ParamSet, cfg: ImageConfig, embedDim: number, rng: () => number): void {
  cfg.inputs.forEach((spec, i) => {
    if (cfg.head.input_norm === 'standardize') {
      P.add(`image.inputs.${i}.mean`, [spec.dim], zeros(spec.dim), { trainable: false });
      P.add(`image.inputs.${i}.std`, [spec.dim], ones(spec.dim), { trainable: false });
    }
  });
  const inDim = cfg.inputs.reduce((a, s) => a + s.dim, 0);
  const w = (name: string, i: number, o: number) => P.add(name, [i, o], normalValues(i * o, 1 / Math.sqrt(i), rng), { decay: true });
  if (cfg.head.type === 'mlp') {
    w('image.fc1.weight', inDim, cfg.head.hidden);
    P.add('image.fc1.bias', [cfg.head.hidden], zeros(cfg.head.hidden));
    w('image.fc2.weight', cfg.head.hidden, embedDim);
    P.add('image.fc2.bias', [embedDim], zeros(embedDim));
  } else {
    w('image.proj.weight', inDim, embedDim);
    P.add('image.proj.bias', [embedDim], zeros(embedDim));
  }
}

/** Set the standardisation statistics from training features (one [n, dim] matrix per input). */
export function setImageInputStats(P: ParamSet, cfg: ImageConfig, features: { data: Float32Array; rows: number }[]): void {
  if (cfg.head.input_norm !== 'standardize') return;
  cfg.inputs.forEach((spec, i) => {
    const { data, rows } = features[i];
    const mean = new Float64Array(spec.dim);
    const sq = new Float64Array(spec.dim);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < spec.dim; j++) {
        const v = data[r * spec.dim + j];
        mean[j] += v;
        sq[j] += v * v;
      }
    }
    const m = new Float32Array(spec.dim);
    const s = new Float32Array(spec.dim);
    for (let j = 0; j < spec.dim; j++) {
      m[j] = mean[j] / rows;
      // Floor the std: dead channels (always 0 after ReLU) must not blow up to huge z-scores.
      s[j] = Math.sqrt(Math.max(sq[j] / rows - m[j] * m[j], 0)) + 1e-3;
    }
    P.get(`image.inputs.${i}.mean`).assign(tf.tensor1d(m));
    P.get(`image.inputs.${i}.std`).assign(tf.tensor1d(s));
  });
}

/** Per-input features [B, dim_i] -> [B, embed_dim] (unnormalised). */
export function imageHeadForward(P: ParamSet, cfg: ImageConfig, inputs: tf.Tensor2D[], training: boolean, seed?: SeedSource): tf.Tensor2D {
  const s = () => (seed ? seed() : undefined);
  const parts = inputs.map((x, i) => {
    if (cfg.head.input_norm === 'standardize') return tf.div(tf.sub(x, P.get(`image.inputs.${i}.mean`)), P.get(`image.inputs.${i}.std`)) as tf.Tensor2D;
    if (cfg.head.input_norm === 'l2') return tf.mul(l2normalizeRows(x), Math.sqrt(x.shape[1])) as tf.Tensor2D;
    return x;
  });
  let x: tf.Tensor = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  x = dropout(x, cfg.head.input_dropout, training, s());
  if (cfg.head.type === 'mlp') {
    x = gelu(linear(x, P.get('image.fc1.weight'), P.get('image.fc1.bias')));
    x = dropout(x, cfg.head.dropout, training, s());
    return linear(x, P.get('image.fc2.weight'), P.get('image.fc2.bias')) as tf.Tensor2D;
  }
  return linear(x, P.get('image.proj.weight'), P.get('image.proj.bias')) as tf.Tensor2D;
}
