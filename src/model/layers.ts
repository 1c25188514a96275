import { tf } from './tf.js';

/** Building blocks shared by the towers: plain functions of tensors (nanoGPT-style), no layer objects. */

/** LayerNorm over the last axis. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

const GELU_C = Math.sqrt(2 / Math.PI);
/** GELU, tanh approximation (as in GPT-2 / BERT implementations); all its ops have wasm gradients. */
export function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), GELU_C);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** Rows scaled to unit L2 norm (eps keeps zero rows finite and the gradient defined). */
export function l2normalizeRows(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), eps))) as tf.Tensor2D;
}

/** Inverted dropout when training (rate > 0); identity otherwise. `seed` makes masks reproducible. */
export function dropout(x: tf.Tensor, rate: number, training: boolean, seed?: number): tf.Tensor {
  return training && rate > 0 ? tf.dropout(x, rate, undefined, seed) : x;
}

/** A source of dropout seeds: training passes a seeded one so runs are reproducible. */
export type SeedSource = () => number;
