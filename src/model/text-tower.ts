import type { TextConfig } from './config.js';
import { dropout, gelu, layerNorm, type SeedSource } from './layers.js';
import { bmm, linear } from './matmul.js';
import { normalValues, ones, zeros, type ParamSet } from './params.js';
import { tf } from './tf.js';

/**
 * The text tower: a pre-LayerNorm Transformer encoder (GPT-2 / ViT block layout, bidirectional).
 * tokens (word_dim, GloVe-initialised) -> linear to d_model + learned positions -> N x [x + MHA(LN(x)); x + MLP(LN(x))]
 * -> LN -> masked mean pool (or [CLS]) -> linear to embed_dim (unnormalised; the model L2-normalises).
 */
export function defineTextTower(P: ParamSet, cfg: TextConfig, embedDim: number, rng: () => number): void {
  const d = cfg.d_model;
  const h = Math.round(d * cfg.mlp_ratio);
  const std = 0.02;
  // GPT-2: residual-branch output projections scaled down with depth so the residual stream starts small.
  const resStd = std / Math.sqrt(2 * Math.max(1, cfg.layers));
  const w = (name: string, i: number, o: number, s: number) => P.add(name, [i, o], normalValues(i * o, s, rng), { decay: true });
  const b = (name: string, n: number) => P.add(name, [n], zeros(n));
  // Xavier-like scale so projected GloVe vectors enter the residual stream at unit-ish size.
  w('text.embed_proj.weight', cfg.word_dim, d, 1 / Math.sqrt(cfg.word_dim));
  b('text.embed_proj.bias', d);
  P.add('text.pos_embedding', [cfg.max_length, d], normalValues(cfg.max_length * d, std, rng));
  for (let l = 0; l < cfg.layers; l++) {
    const p = `text.layers.${l}.`;
    P.add(p + 'ln1.gamma', [d], ones(d));
    P.add(p + 'ln1.beta', [d], zeros(d));
    w(p + 'attn.qkv.weight', d, 3 * d, std);
    b(p + 'attn.qkv.bias', 3 * d);
    w(p + 'attn.out.weight', d, d, resStd);
    b(p + 'attn.out.bias', d);
    P.add(p + 'ln2.gamma', [d], ones(d));
    P.add(p + 'ln2.beta', [d], zeros(d));
    w(p + 'mlp.fc1.weight', d, h, std);
    b(p + 'mlp.fc1.bias', h);
    w(p + 'mlp.fc2.weight', h, d, resStd);
    b(p + 'mlp.fc2.bias', d);
  }
  P.add('text.ln_final.gamma', [d], ones(d));
  P.add('text.ln_final.beta', [d], zeros(d));
  w('text.proj.weight', d, embedDim, 1 / Math.sqrt(d));
}

/** Multi-head self-attention over [B, T, d] with a key padding mask [B, T] (1 = token, 0 = pad). */
function selfAttention(P: ParamSet, p: string, x: tf.Tensor3D, maskBias: tf.Tensor, heads: number): tf.Tensor3D {
  const [B, T, d] = x.shape;
  const dh = d / heads;
  const qkv = linear(x, P.get(p + 'qkv.weight'), P.get(p + 'qkv.bias'));
  // [B, T, 3, H, dh] -> [3, B, H, T, dh]: one transpose for q, k and v together.
  const split = tf.transpose(tf.reshape(qkv, [B, T, 3, heads, dh]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.unstack(split).map((t) => tf.reshape(t, [B * heads, T, dh]) as tf.Tensor3D);
  const scores = tf.reshape(tf.mul(bmm(q, tf.transpose(k, [0, 2, 1])), 1 / Math.sqrt(dh)), [B, heads, T, T]);
  const probs = tf.softmax(tf.add(scores, maskBias), -1);
  const ctx = bmm(tf.reshape(probs, [B * heads, T, T]) as tf.Tensor3D, v);
  const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [B, heads, T, dh]), [0, 2, 1, 3]), [B, T, d]);
  return linear(merged, P.get(p + 'out.weight'), P.get(p + 'out.bias')) as tf.Tensor3D;
}

/**
 * tokens [B, T, word_dim] (gathered embedding rows), mask [B, T] -> [B, embed_dim].
 * T may be shorter than max_length (batches are padded to their longest caption).
 */
export function textTowerForward(
  P: ParamSet,
  cfg: TextConfig,
  tokens: tf.Tensor3D,
  mask: tf.Tensor2D,
  training: boolean,
  seed?: SeedSource,
): tf.Tensor2D {
  const [B, T] = mask.shape;
  const s = () => (seed ? seed() : undefined);
  let x = dropout(tokens, cfg.embed_dropout, training, s()) as tf.Tensor3D;
  x = linear(x, P.get('text.embed_proj.weight'), P.get('text.embed_proj.bias')) as tf.Tensor3D;
  x = tf.add(x, tf.slice(P.get('text.pos_embedding'), [0, 0], [T, cfg.d_model])) as tf.Tensor3D;
  // Additive key mask: 0 for tokens, -1e9 for padding, broadcast over heads and queries.
  const maskBias = tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [B, 1, 1, T]);
  for (let l = 0; l < cfg.layers; l++) {
    const p = `text.layers.${l}.`;
    const a = selfAttention(P, p + 'attn.', layerNorm(x, P.get(p + 'ln1.gamma'), P.get(p + 'ln1.beta')) as tf.Tensor3D, maskBias, cfg.heads);
    x = tf.add(x, dropout(a, cfg.dropout, training, s())) as tf.Tensor3D;
    const hdn = gelu(linear(layerNorm(x, P.get(p + 'ln2.gamma'), P.get(p + 'ln2.beta')), P.get(p + 'mlp.fc1.weight'), P.get(p + 'mlp.fc1.bias')));
    const m = linear(hdn, P.get(p + 'mlp.fc2.weight'), P.get(p + 'mlp.fc2.bias'));
    x = tf.add(x, dropout(m, cfg.dropout, training, s())) as tf.Tensor3D;
  }
  x = layerNorm(x, P.get('text.ln_final.gamma'), P.get('text.ln_final.beta')) as tf.Tensor3D;
  let pooled: tf.Tensor2D;
  if (cfg.pooling === 'cls') {
    pooled = tf.reshape(tf.slice(x, [0, 0, 0], [B, 1, cfg.d_model]), [B, cfg.d_model]);
  } else {
    const m3 = tf.reshape(mask, [B, T, 1]);
    pooled = tf.div(tf.sum(tf.mul(x, m3), 1), tf.maximum(tf.sum(m3, 1), 1)) as tf.Tensor2D;
  }
  return linear(pooled, P.get('text.proj.weight')) as tf.Tensor2D;
}
