import { headInputDim, type AttentionPoolSpec, type ImageConfig, type ImageInputSpec } from './config.js';
import { dropout, gelu, l2normalizeRows, type SeedSource } from './layers.js';
import { linear } from './matmul.js';
import { normalValues, ones, zeros, type ParamSet } from './params.js';
import { tf } from './tf.js';

/**
 * The trainable image head over frozen tower features (LiT: the tower is locked, only this head learns).
 * Each input (a tower tap or detector scores) is normalised on its own — standardised with train-split
 * statistics stored as frozen parameters, or L2-normalised — so wide inputs do not drown narrow ones;
 * a spatial map input is first attention-pooled to one vector (see AttentionPoolSpec);
 * then concatenated -> input dropout -> MLP (Linear-GELU-Dropout-Linear) or one Linear -> embed_dim.
 */
export function defineImageHead(P: ParamSet, cfg: ImageConfig, embedDim: number, rng: () => number): void {
  cfg.inputs.forEach((spec, i) => {
    const width = headInputDim(spec);
    if (cfg.head.input_norm === 'standardize') {
      P.add(`image.inputs.${i}.mean`, [width], zeros(width), { trainable: false });
      P.add(`image.inputs.${i}.std`, [width], ones(width), { trainable: false });
    }
    const pool = poolOf(spec);
    if (pool) {
      // Zero init = uniform weights = global average pooling: training starts from the GAP model.
      P.add(`image.inputs.${i}.pool.query`, [pool.channels], zeros(pool.channels));
      P.add(`image.inputs.${i}.pool.pos_bias`, [spec.dim / pool.channels, pool.heads], zeros((spec.dim / pool.channels) * pool.heads));
    }
  });
  const inDim = cfg.inputs.reduce((a, s) => a + headInputDim(s), 0);
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

function poolOf(spec: ImageInputSpec): AttentionPoolSpec | undefined {
  return spec.source === 'tower' ? spec.pool : undefined;
}

/**
 * Set the standardisation statistics from training features (one [n, dim] matrix per input). For a pooled map
 * the statistics are those of its per-image location average (what an untrained pool outputs), so an
 * attention-pooled input starts on the same scale as a standardised GAP input.
 */
export function setImageInputStats(P: ParamSet, cfg: ImageConfig, features: { data: Float32Array; rows: number }[]): void {
  if (cfg.head.input_norm !== 'standardize') return;
  cfg.inputs.forEach((spec, i) => {
    const { data, rows } = features[i];
    const width = headInputDim(spec);
    const locations = spec.dim / width;
    const mean = new Float64Array(width);
    const sq = new Float64Array(width);
    const avg = new Float64Array(width);
    for (let r = 0; r < rows; r++) {
      avg.fill(0);
      const base = r * spec.dim;
      for (let l = 0; l < locations; l++) {
        const off = base + l * width;
        for (let j = 0; j < width; j++) avg[j] += data[off + j];
      }
      for (let j = 0; j < width; j++) {
        const v = avg[j] / locations;
        mean[j] += v;
        sq[j] += v * v;
      }
    }
    const m = new Float32Array(width);
    const s = new Float32Array(width);
    for (let j = 0; j < width; j++) {
      m[j] = mean[j] / rows;
      // Floor the std: dead channels (always 0 after ReLU) must not blow up to huge z-scores.
      s[j] = Math.sqrt(Math.max(sq[j] / rows - m[j] * m[j], 0)) + 1e-3;
    }
    P.get(`image.inputs.${i}.mean`).assign(tf.tensor1d(m));
    P.get(`image.inputs.${i}.std`).assign(tf.tensor1d(s));
  });
}

/**
 * Attention pooling of a map [B, L*C] (NHWC rows) -> [B, C]. Head h owns channels [h*C/H, (h+1)*C/H): its score
 * at location l is <x_l slice, query slice> + pos_bias[l, h]; softmax over l; the slice is the weighted sum.
 * The map is a frozen input (no gradient), so the backward pass is written by hand, and every pass over the
 * 11M-value batch map is a matmul: on tfjs-wasm an elementwise op, a transpose or an axis-0 sum over it costs
 * 0.3-1.3 s, a matmul against it 0.02-0.2 s (measured, 2 busy cores). One head is the cheap case; H heads
 * cost roughly H times more in the batched matmuls.
 */
export function attentionPool(x: tf.Tensor2D, query: tf.Tensor1D, posBias: tf.Tensor2D, pool: AttentionPoolSpec): tf.Tensor2D {
  const B = x.shape[0];
  const C = pool.channels;
  const H = pool.heads;
  const L = x.shape[1] / C;
  const blocks = headBlocks(C, H); // [H, C]: 1 where channel c belongs to head h
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q, pos, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    // Kept for the backward pass, which runs after the forward scope is gone.
    const x3 = tf.reshape(x, [B, L, C]);
    const qBlock = tf.mul(tf.transpose(blocks), tf.reshape(q, [C, 1])); // [C, H]
    const scores = tf.add(tf.reshape(tf.matMul(tf.reshape(x3, [B * L, C]), qBlock), [B, L, H]), pos);
    const w = tf.softmax(tf.transpose(scores, [0, 2, 1])); // [B, H, L], softmax over the locations
    const perHead = tf.matMul(w, x3); // [B, H, C]: each head's weighting of every channel
    const value = H === 1 ? tf.reshape(perHead, [B, C]) : tf.sum(tf.mul(perHead, blocks), 1);
    save([w, x3, blocks]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [ws, x3s, blk] = saved;
        // dL/dw[b,h,l] = sum over head h's channels of dy[b,c] * x[b,l,c]
        const dyBlock = H === 1 ? tf.reshape(dy as tf.Tensor, [B, 1, C]) : tf.mul(tf.reshape(dy as tf.Tensor, [B, 1, C]), blk); // [B, H, C]
        const dw = tf.reshape(tf.matMul(x3s, tf.reshape(dyBlock, [B, H, C]), false, true), [B, L, H]); // [B, L, H]
        const dwT = tf.transpose(dw, [0, 2, 1]); // [B, H, L]
        const ds = tf.mul(ws, tf.sub(dwT, tf.sum(tf.mul(ws, dwT), 2, true))); // softmax backward, [B, H, L]
        // dq[c] = sum over (b, l) of x[b,l,c] * ds[b,head(c),l]: the forward's batched matmul again, summed over
        // the batch ([H, B*L] x [B*L, C] as one matmul measured 40x slower here), keep each head's channels
        const g = tf.sum(tf.matMul(ds, x3s), 0); // [H, C]
        const dq = H === 1 ? tf.reshape(g, [C]) : tf.sum(tf.mul(g, blk), 0);
        return [dq, tf.transpose(tf.sum(ds, 0))];
      },
    };
  });
  return op(query, posBias) as tf.Tensor2D;
}

function headBlocks(C: number, H: number): tf.Tensor2D {
  const m = new Float32Array(H * C);
  const d = C / H;
  for (let h = 0; h < H; h++) m.fill(1, h * C + h * d, h * C + (h + 1) * d);
  return tf.tensor2d(m, [H, C]);
}

/** Per-input features [B, dim_i] -> [B, embed_dim] (unnormalised). */
export function imageHeadForward(P: ParamSet, cfg: ImageConfig, inputs: tf.Tensor2D[], training: boolean, seed?: SeedSource): tf.Tensor2D {
  const s = () => (seed ? seed() : undefined);
  const parts = inputs.map((x, i) => {
    const spec = cfg.inputs[i];
    const pool = poolOf(spec);
    if (pool) {
      const query = P.get(`image.inputs.${i}.pool.query`) as tf.Tensor1D;
      const pos = P.get(`image.inputs.${i}.pool.pos_bias`) as tf.Tensor2D;
      if (cfg.head.input_norm !== 'standardize') {
        const pooled = attentionPool(x, query, pos, pool);
        return cfg.head.input_norm === 'l2' ? (tf.mul(l2normalizeRows(pooled), Math.sqrt(pool.channels)) as tf.Tensor2D) : pooled;
      }
      // Attention over the per-channel standardised map, computed on the raw map: <(x_l - mean) / std, q> =
      // <x_l, q / std> - (a constant per head, which the softmax ignores); and as the weights sum to 1,
      // standardising the pooled vector equals pooling the standardised map.
      const mean = P.get(`image.inputs.${i}.mean`);
      const std = P.get(`image.inputs.${i}.std`);
      return tf.div(tf.sub(attentionPool(x, tf.div(query, std) as tf.Tensor1D, pos, pool), mean), std) as tf.Tensor2D;
    }
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
