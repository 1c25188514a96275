import type { CaptionDecoderConfig } from './caption-config.js';
import { dropout, gelu, layerNorm, type SeedSource } from './layers.js';
import { bmm, linear } from './matmul.js';
import { normalValues, ones, zeros, type ParamSet } from './params.js';
import { tf } from './tf.js';

/**
 * The caption decoder: a pre-LayerNorm Transformer decoder (causal self-attention, cross-attention over the
 * frozen tower's spatial map, MLP) in the plain-function style of the text tower.
 *   map [N, h*w, c] -> linear to d_model + learned cell positions -> LN  = memory
 *   tokens (gathered rows of the JS-side embedding table) + positions -> L x block -> LN -> linear to vocab.
 * The token table lives outside the ParamSet (src/model/token-embedding.ts): its gather has no wasm gradient.
 */
export function defineCaptionDecoder(P: ParamSet, cfg: CaptionDecoderConfig, vocabSize: number, rng: () => number): void {
  const d = cfg.d_model;
  const [h, w, c] = cfg.map_shape;
  const hid = Math.round(d * cfg.mlp_ratio);
  const std = 0.02;
  const resStd = std / Math.sqrt(2 * cfg.layers);
  const W = (name: string, i: number, o: number, s: number) => P.add(name, [i, o], normalValues(i * o, s, rng), { decay: true });
  const B = (name: string, n: number) => P.add(name, [n], zeros(n));
  const norm = (name: string) => {
    P.add(name + '.gamma', [d], ones(d));
    P.add(name + '.beta', [d], zeros(d));
  };
  W('cap.img_proj.weight', c, d, 1 / Math.sqrt(c));
  B('cap.img_proj.bias', d);
  P.add('cap.img_pos', [h * w, d], normalValues(h * w * d, std, rng));
  norm('cap.img_ln');
  if (cfg.detector) {
    const { dim, tokens } = cfg.detector;
    W('cap.det_proj.weight', dim, tokens * d, 1 / Math.sqrt(dim));
    B('cap.det_proj.bias', tokens * d);
    P.add('cap.det_pos', [tokens, d], normalValues(tokens * d, std, rng));
  }
  P.add('cap.pos_embedding', [cfg.max_length + 1, d], normalValues((cfg.max_length + 1) * d, std, rng));
  for (let l = 0; l < cfg.layers; l++) {
    const p = `cap.layers.${l}.`;
    norm(p + 'ln1');
    W(p + 'self.qkv.weight', d, 3 * d, std);
    B(p + 'self.qkv.bias', 3 * d);
    W(p + 'self.out.weight', d, d, resStd);
    B(p + 'self.out.bias', d);
    norm(p + 'ln2');
    W(p + 'cross.q.weight', d, d, std);
    B(p + 'cross.q.bias', d);
    W(p + 'cross.kv.weight', d, 2 * d, std);
    B(p + 'cross.kv.bias', 2 * d);
    W(p + 'cross.out.weight', d, d, resStd);
    B(p + 'cross.out.bias', d);
    norm(p + 'ln3');
    W(p + 'mlp.fc1.weight', d, hid, std);
    B(p + 'mlp.fc1.bias', hid);
    W(p + 'mlp.fc2.weight', hid, d, resStd);
    B(p + 'mlp.fc2.bias', d);
  }
  norm('cap.ln_final');
  W('cap.out.weight', d, vocabSize, std);
  B('cap.out.bias', vocabSize);
}

type Input = tf.Tensor | tf.GradSaveFunc;

/**
 * x [n, k] . w [k, m] where x is data (the frozen map): only w gets a gradient, so the backward pass skips the
 * large dx product that src/model/matmul.ts would compute (the map is the widest input of the model).
 */
const dataMatmul = tf.customGrad(((...args: Input[]) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => [tf.zerosLike(saved[0]), tf.matMul(tf.transpose(saved[0]), dy)],
  };
}) as (...args: Input[]) => { value: tf.Tensor2D; gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => tf.Tensor[] });

const LN = (P: ParamSet, name: string, x: tf.Tensor) => layerNorm(x, P.get(name + '.gamma'), P.get(name + '.beta'));

/** [B, T, d] -> [B*H, T, dh] */
function heads(x: tf.Tensor, H: number): tf.Tensor3D {
  const [B, T, d] = x.shape as [number, number, number];
  return tf.reshape(tf.transpose(tf.reshape(x, [B, T, H, d / H]), [0, 2, 1, 3]), [B * H, T, d / H]) as tf.Tensor3D;
}
/** [B*H, T, dh] -> [B, T, d] */
function merge(x: tf.Tensor, B: number, H: number): tf.Tensor3D {
  const [, T, dh] = x.shape as [number, number, number];
  return tf.reshape(tf.transpose(tf.reshape(x, [B, H, T, dh]), [0, 2, 1, 3]), [B, T, H * dh]) as tf.Tensor3D;
}

function attend(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor | undefined): tf.Tensor3D {
  const dh = q.shape[2];
  let s: tf.Tensor = tf.mul(bmm(q, tf.transpose(k, [0, 2, 1])), 1 / Math.sqrt(dh));
  if (bias) s = tf.add(s, bias);
  return bmm(tf.softmax(s, -1) as tf.Tensor3D, v);
}

/**
 * The image memory: rows [N, h*w*c (+ detector dim)] (flattened NHWC maps as cached, then the detector row when
 * the decoder takes one) -> [N, h*w (+ tokens), d]. Map cells and detector tokens share the final LayerNorm.
 */
export function encodeMemory(P: ParamSet, cfg: CaptionDecoderConfig, rows: tf.Tensor2D, training: boolean, seed?: SeedSource): tf.Tensor3D {
  const [h, w, c] = cfg.map_shape;
  const d = cfg.d_model;
  const N = rows.shape[0];
  const map = cfg.detector ? tf.slice(rows, [0, 0], [N, h * w * c]) : rows;
  const x = dropout(tf.reshape(map, [N * h * w, c]), training ? cfg.dropout : 0, training, seed?.()) as tf.Tensor2D;
  let y: tf.Tensor = tf.add(tf.reshape(tf.add(dataMatmul(x, P.get('cap.img_proj.weight') as tf.Tensor as tf.Tensor2D), P.get('cap.img_proj.bias')), [N, h * w, d]), P.get('cap.img_pos'));
  if (cfg.detector) {
    const { dim, tokens } = cfg.detector;
    // Counts (the row's second half) can reach tens; log1p keeps them on the scores' scale.
    const det = tf.log1p(tf.slice(rows, [0, h * w * c], [N, dim]));
    const t = tf.add(tf.reshape(linear(det, P.get('cap.det_proj.weight'), P.get('cap.det_proj.bias')), [N, tokens, d]), P.get('cap.det_pos'));
    y = tf.concat([y, t], 1);
  }
  return LN(P, 'cap.img_ln', y) as tf.Tensor3D;
}

/** Per layer, the cross-attention keys and values of a memory, split into heads: computed once per image. */
export function memoryKeys(P: ParamSet, cfg: CaptionDecoderConfig, memory: tf.Tensor3D): { k: tf.Tensor3D; v: tf.Tensor3D }[] {
  const d = cfg.d_model;
  return Array.from({ length: cfg.layers }, (_, l) => {
    const kv = linear(memory, P.get(`cap.layers.${l}.cross.kv.weight`), P.get(`cap.layers.${l}.cross.kv.bias`));
    const [N, M] = memory.shape;
    return {
      k: heads(tf.slice(kv, [0, 0, 0], [N, M, d]), cfg.heads),
      v: heads(tf.slice(kv, [0, 0, d], [N, M, d]), cfg.heads),
    };
  });
}

/**
 * Decoder hidden states for token rows [B, T, d] (already embedded) against per-layer memory keys/values
 * (B rows, or broadcastable rows when B is a multiple: callers repeat memories to match). Returns [B, T, d] after the final LN.
 */
export function decodeHidden(
  P: ParamSet,
  cfg: CaptionDecoderConfig,
  tokens: tf.Tensor3D,
  mem: { k: tf.Tensor3D; v: tf.Tensor3D }[],
  training: boolean,
  seed?: SeedSource,
): tf.Tensor3D {
  const [B, T, d] = tokens.shape;
  const H = cfg.heads;
  const rate = training ? cfg.dropout : 0;
  const s = () => seed?.();
  let x: tf.Tensor = tf.add(tokens, tf.slice(P.get('cap.pos_embedding'), [0, 0], [T, d]));
  x = dropout(x, rate, training, s());
  // Causal mask: position t sees 0..t. Padding only ever follows the real tokens, so it needs no key mask.
  const causal = tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => (i % T > Math.floor(i / T) ? -1e9 : 0)), [T, T]);
  for (let l = 0; l < cfg.layers; l++) {
    const p = `cap.layers.${l}.`;
    const qkv = linear(LN(P, p + 'ln1', x), P.get(p + 'self.qkv.weight'), P.get(p + 'self.qkv.bias'));
    const part = (i: number) => heads(tf.slice(qkv, [0, 0, i * d], [B, T, d]), H);
    const a = merge(attend(part(0), part(1), part(2), causal), B, H);
    x = tf.add(x, dropout(linear(a, P.get(p + 'self.out.weight'), P.get(p + 'self.out.bias')), rate, training, s()));
    const q = heads(linear(LN(P, p + 'ln2', x), P.get(p + 'cross.q.weight'), P.get(p + 'cross.q.bias')), H);
    const c = merge(attend(q, mem[l].k, mem[l].v, undefined), B, H);
    x = tf.add(x, dropout(linear(c, P.get(p + 'cross.out.weight'), P.get(p + 'cross.out.bias')), rate, training, s()));
    const hdn = gelu(linear(LN(P, p + 'ln3', x), P.get(p + 'mlp.fc1.weight'), P.get(p + 'mlp.fc1.bias')));
    x = tf.add(x, dropout(linear(hdn, P.get(p + 'mlp.fc2.weight'), P.get(p + 'mlp.fc2.bias')), rate, training, s()));
  }
  return LN(P, 'cap.ln_final', x) as tf.Tensor3D;
}

/** Hidden states [..., d] -> vocabulary logits [..., V]. */
export function outputLogits(P: ParamSet, hidden: tf.Tensor): tf.Tensor {
  return linear(hidden, P.get('cap.out.weight'), P.get('cap.out.bias'));
}

/**
 * Logits over one language's output block only: column 0 is [END], columns 1.. are ids from..to-1.
 * Captions are generated in one language, so the other block never competes; skipping it cuts the largest matrix
 * product of a step (and decoding masks it anyway).
 */
export function blockLogits(P: ParamSet, hidden: tf.Tensor, end: number, from: number, to: number): tf.Tensor {
  const W = P.get('cap.out.weight');
  const b = P.get('cap.out.bias');
  const d = W.shape[0];
  const w = tf.concat([tf.slice(W, [0, end], [d, 1]), tf.slice(W, [0, from], [d, to - from])], 1);
  const bias = tf.concat([tf.slice(b, [end], [1]), tf.slice(b, [from], [to - from])]);
  return linear(hidden, w, bias);
}

/** Per-layer self-attention keys/values of the tokens decoded so far, [R*H, t, dh] each. */
export type SelfCache = { k: tf.Tensor3D; v: tf.Tensor3D }[];

/**
 * One decoding step for R rows: the newest token's embedding [R, 1, d] at position t, attending to the cached
 * keys/values of positions 0..t-1 (undefined at t = 0). Same arithmetic as decodeHidden at inference, one
 * position at a time. Returns the final-LN hidden state [R, d] and the cache extended by this position.
 */
export function decodeStep(
  P: ParamSet,
  cfg: CaptionDecoderConfig,
  token: tf.Tensor3D,
  t: number,
  cache: SelfCache | undefined,
  mem: { k: tf.Tensor3D; v: tf.Tensor3D }[],
): { hidden: tf.Tensor2D; cache: SelfCache } {
  const [R, , d] = token.shape;
  const H = cfg.heads;
  let x: tf.Tensor = tf.add(token, tf.slice(P.get('cap.pos_embedding'), [t, 0], [1, d]));
  const next: SelfCache = [];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `cap.layers.${l}.`;
    const qkv = linear(LN(P, p + 'ln1', x), P.get(p + 'self.qkv.weight'), P.get(p + 'self.qkv.bias'));
    const part = (i: number) => heads(tf.slice(qkv, [0, 0, i * d], [R, 1, d]), H);
    const k = cache ? (tf.concat([cache[l].k, part(1)], 1) as tf.Tensor3D) : part(1);
    const v = cache ? (tf.concat([cache[l].v, part(2)], 1) as tf.Tensor3D) : part(2);
    next.push({ k, v });
    const a = merge(attend(part(0), k, v, undefined), R, H);
    x = tf.add(x, linear(a, P.get(p + 'self.out.weight'), P.get(p + 'self.out.bias')));
    const q = heads(linear(LN(P, p + 'ln2', x), P.get(p + 'cross.q.weight'), P.get(p + 'cross.q.bias')), H);
    const c = merge(attend(q, mem[l].k, mem[l].v, undefined), R, H);
    x = tf.add(x, linear(c, P.get(p + 'cross.out.weight'), P.get(p + 'cross.out.bias')));
    const hdn = gelu(linear(LN(P, p + 'ln3', x), P.get(p + 'mlp.fc1.weight'), P.get(p + 'mlp.fc1.bias')));
    x = tf.add(x, linear(hdn, P.get(p + 'mlp.fc2.weight'), P.get(p + 'mlp.fc2.bias')));
  }
  return { hidden: tf.reshape(LN(P, 'cap.ln_final', x), [R, d]) as tf.Tensor2D, cache: next };
}
