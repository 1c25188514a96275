import { tf } from '../model/tf.js';
import type { ParamSet } from '../model/params.js';
import type { TokenEmbedding } from '../model/token-embedding.js';

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/**
 * AdamW (Loshchilov & Hutter): Adam moments with bias correction, and weight decay applied to the weights
 * directly (decoupled), scaled by the learning rate, only to parameters marked `decay` (matrices).
 * tfjs ships Adam but not AdamW, and its optimizers cannot save their moments in our checkpoint format.
 */
export class AdamW {
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(private readonly params: ParamSet, private readonly s: AdamWSettings) {
    for (const name of params.trainable) {
      const p = params.get(name);
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** One update with gradients keyed by parameter name, already clipped. `step` counts from 1. */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.s;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, g] of grads) {
        const p = this.params.get(name);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const m2 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(m2);
        v.assign(v2);
        const update = tf.div(tf.div(m2, c1), tf.add(tf.sqrt(tf.div(v2, c2)), eps));
        let next = tf.sub(p, tf.mul(update, lr));
        if (weightDecay > 0 && this.params.decay.has(name)) next = tf.sub(next, tf.mul(p, lr * weightDecay));
        p.assign(next);
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/**
 * Lazy (sparse) AdamW for the token table: only rows that occur in the batch get their moments and values
 * updated, as in TF's LazyAdam. Rows marked frozen are skipped. No weight decay: most rows are seen rarely,
 * and decay would pull them toward zero between visits.
 */
export class SparseAdamW {
  step = 0;
  readonly m: Float32Array;
  readonly v: Float32Array;

  constructor(private readonly table: TokenEmbedding, private readonly s: Omit<AdamWSettings, 'weightDecay'>) {
    this.m = new Float32Array(table.data.length);
    this.v = new Float32Array(table.data.length);
  }

  apply(rowGrads: Map<number, Float32Array>, lr: number): void {
    this.step++;
    if (lr === 0) return;
    const { beta1, beta2, eps } = this.s;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    const { dim, data } = this.table;
    for (const [row, g] of rowGrads) {
      if (!this.table.isTrainable(row)) continue;
      const o = row * dim;
      for (let j = 0; j < dim; j++) {
        const m = (this.m[o + j] = beta1 * this.m[o + j] + (1 - beta1) * g[j]);
        const v = (this.v[o + j] = beta2 * this.v[o + j] + (1 - beta2) * g[j] * g[j]);
        data[o + j] -= (lr * (m / c1)) / (Math.sqrt(v / c2) + eps);
      }
    }
  }
}

/** Sum the gradient of gathered rows [n, dim] back into per-row gradients (the embedding's backward pass). */
export function scatterRows(ids: Int32Array, grad: Float32Array, dim: number, trainable: (row: number) => boolean): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  for (let i = 0; i < ids.length; i++) {
    const row = ids[i];
    if (!trainable(row)) continue;
    let acc = out.get(row);
    if (!acc) out.set(row, (acc = new Float32Array(dim)));
    const o = i * dim;
    for (let j = 0; j < dim; j++) acc[j] += grad[o + j];
  }
  return out;
}
