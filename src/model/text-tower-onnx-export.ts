import { VlmError } from '../util/errors.js';
import type { ModelConfig } from './config.js';
import { tensorToFloat32, type SafeTensor } from './safetensors.js';
import { DataType, OnnxGraph } from './text-tower-onnx-graph.js';

/**
 * Convert the text tower of a model (token table -> src/model/text-tower.ts -> projection -> L2 norm) to ONNX,
 * straight from the model's safetensors weights, op for op as textTowerForward computes it at inference.
 *
 * Inputs: `ids` int32 [B, T] (MixedTokenizer ids, padded with [PAD]), `mask` float [B, T] (1 = token, 0 = pad);
 * B and T are free (T <= text.max_length). Output: `embedding` float [B, embed_dim], L2-normalised.
 * The token table is embedded as stored (F16 stays F16 and is widened after the gather, exactly as the loader does).
 */

/** The token table's name in model.safetensors (src/model/checkpoint.ts TOKEN_TABLE; not imported: that module loads tfjs). */
const TOKEN_TABLE = 'text.token_embedding';

const GELU_C = Math.sqrt(2 / Math.PI);

export interface TextTowerExportOptions {
  /**
   * Use onnxruntime's fused contrib ops (com.microsoft Attention with a key padding mask, FastGelu with its bias) and
   * keep the residual stream 2-D so the projections become Gemm: ~2x faster on onnxruntime. false = standard ONNX ops only.
   */
  fused?: boolean;
}

export function exportTextTowerOnnx(config: ModelConfig, tensors: Map<string, SafeTensor>, opts: TextTowerExportOptions = {}): Uint8Array {
  const fused = opts.fused ?? true;
  const cfg = config.text;
  const d = cfg.d_model;
  const heads = cfg.heads;
  const dh = d / heads;
  const hiddenDim = Math.round(d * cfg.mlp_ratio);
  const g = new OnnxGraph();

  const weight = (name: string, shape: number[]): string => {
    const t = tensors.get(name);
    if (!t) throw new VlmError(`text tower ONNX export: the weights lack "${name}"`);
    if (t.shape.join(',') !== shape.join(',')) throw new VlmError(`text tower ONNX export: "${name}" has shape [${t.shape}], expected [${shape}]`);
    return g.init(tensorToFloat32(t, name), shape);
  };
  // x [..., in] . w (+ b): Gemm on the 2-D stream of the fused graph, MatMul (+ Add) otherwise.
  const linear = (x: string, w: string, b: string | undefined, inDim: number, outDim: number): string => {
    if (fused && b) return g.op('Gemm', [x, weight(w, [inDim, outDim]), weight(b, [outDim])]);
    const y = g.op('MatMul', [x, weight(w, [inDim, outDim])]);
    return b ? g.op('Add', [y, weight(b, [outDim])]) : y;
  };
  const layerNorm = (x: string, p: string): string =>
    g.op('LayerNormalization', [x, weight(p + '.gamma', [d]), weight(p + '.beta', [d])], { axis: -1, epsilon: { f: 1e-5 } });
  // GELU, tanh approximation (layers.ts): 0.5 x (1 + tanh(c (x + 0.044715 x^3))); FastGelu computes the same formula.
  const mlp = (x: string, p: string): string => {
    let h: string;
    if (fused) {
      h = g.op('FastGelu', [g.op('MatMul', [x, weight(p + 'fc1.weight', [d, hiddenDim])]), weight(p + 'fc1.bias', [hiddenDim])], {}, undefined, 'com.microsoft');
    } else {
      const y = linear(x, p + 'fc1.weight', p + 'fc1.bias', d, hiddenDim);
      const y3 = g.op('Mul', [g.op('Mul', [y, y]), y]);
      const inner = g.op('Mul', [g.op('Add', [y, g.op('Mul', [y3, g.scalar(0.044715)])]), g.scalar(GELU_C)]);
      h = g.op('Mul', [g.op('Mul', [y, g.scalar(0.5)]), g.op('Add', [g.op('Tanh', [inner]), g.scalar(1)])]);
    }
    return linear(h, p + 'fc2.weight', p + 'fc2.bias', hiddenDim, d);
  };

  const ids = g.input('ids', DataType.INT32, ['B', 'T']);
  const mask = g.input('mask', DataType.FLOAT, ['B', 'T']);

  const table = tensors.get(TOKEN_TABLE);
  if (!table || table.shape.length !== 2 || table.shape[1] !== cfg.word_dim) {
    throw new VlmError(`text tower ONNX export: the weights lack a [rows, ${cfg.word_dim}] "${TOKEN_TABLE}"`);
  }
  let tok: string;
  if (table.dtype === 'F16') {
    tok = g.op('Cast', [g.op('Gather', [g.init(table.data as Uint16Array, table.shape), ids], { axis: 0 })], { to: DataType.FLOAT });
  } else {
    tok = g.op('Gather', [g.init(tensorToFloat32(table, TOKEN_TABLE), table.shape), ids], { axis: 0 });
  }
  const T = g.op('Shape', [ids], { start: 1, end: 2 });
  const pos = g.op('Slice', [weight('text.pos_embedding', [cfg.max_length, d]), g.ints([0]), T, g.ints([0])]);
  const index = (i: number): string => g.init(BigInt64Array.of(BigInt(i)), []);

  let x: string;
  if (fused) {
    // Residual stream as [B*T, d]; reshaped to [B, T, d] only around the attention.
    const shapeBTd = g.op('Concat', [g.op('Shape', [ids]), g.ints([d])], { axis: 0 });
    const x0 = linear(g.op('Reshape', [tok, g.ints([-1, cfg.word_dim])]), 'text.embed_proj.weight', 'text.embed_proj.bias', cfg.word_dim, d);
    x = g.op('Reshape', [g.op('Add', [g.op('Reshape', [x0, shapeBTd]), pos]), g.ints([-1, d])]);
    const maskIndex = g.op('Cast', [mask], { to: DataType.INT32 });
    for (let l = 0; l < cfg.layers; l++) {
      const p = `text.layers.${l}.`;
      const h3 = g.op('Reshape', [layerNorm(x, p + 'ln1'), shapeBTd]);
      // Attention: softmax(q k^T / sqrt(dh) + key padding mask) v over the merged q|k|v projection, heads as text-tower.ts splits them.
      const a3 = g.op(
        'Attention',
        [h3, weight(p + 'attn.qkv.weight', [d, 3 * d]), weight(p + 'attn.qkv.bias', [3 * d]), maskIndex],
        { num_heads: heads },
        undefined,
        'com.microsoft',
      );
      x = g.op('Add', [x, linear(g.op('Reshape', [a3, g.ints([-1, d])]), p + 'attn.out.weight', p + 'attn.out.bias', d, d)]);
      x = g.op('Add', [x, mlp(layerNorm(x, p + 'ln2'), p + 'mlp.')]);
    }
    x = g.op('Reshape', [layerNorm(x, 'text.ln_final'), shapeBTd]);
  } else {
    x = g.op('Add', [linear(tok, 'text.embed_proj.weight', 'text.embed_proj.bias', cfg.word_dim, d), pos]);
    // Additive key mask: 0 for tokens, -1e9 for padding, broadcast over heads and queries: [B, 1, 1, T].
    const maskBias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [g.scalar(1), mask]), g.scalar(-1e9)]), g.ints([1, 2])]);
    for (let l = 0; l < cfg.layers; l++) {
      const p = `text.layers.${l}.`;
      const qkv = linear(layerNorm(x, p + 'ln1'), p + 'attn.qkv.weight', p + 'attn.qkv.bias', d, 3 * d);
      // [B, T, 3, H, dh] -> [3, B, H, T, dh], as text-tower.ts splits q, k and v.
      const split = g.op('Transpose', [g.op('Reshape', [qkv, g.ints([0, 0, 3, heads, dh])])], { perm: [2, 0, 3, 1, 4] });
      const [q, k, v] = [0, 1, 2].map((i) => g.op('Gather', [split, index(i)], { axis: 0 }));
      const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), g.scalar(1 / Math.sqrt(dh))]);
      const probs = g.op('Softmax', [g.op('Add', [scores, maskBias])], { axis: -1 });
      const ctx = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
      const merged = g.op('Reshape', [ctx, g.ints([0, 0, d])]);
      x = g.op('Add', [x, linear(merged, p + 'attn.out.weight', p + 'attn.out.bias', d, d)]);
      x = g.op('Add', [x, mlp(layerNorm(x, p + 'ln2'), p + 'mlp.')]);
    }
    x = layerNorm(x, 'text.ln_final');
  }

  let pooled: string;
  if (cfg.pooling === 'cls') {
    pooled = g.op('Gather', [x, index(0)], { axis: 1 });
  } else {
    const m3 = g.op('Unsqueeze', [mask, g.ints([2])]);
    const sum = g.op('ReduceSum', [g.op('Mul', [x, m3]), g.ints([1])], { keepdims: 0 });
    const count = g.op('Max', [g.op('ReduceSum', [m3, g.ints([1])], { keepdims: 0 }), g.scalar(1)]);
    pooled = g.op('Div', [sum, count]);
  }
  const y = linear(pooled, 'text.proj.weight', undefined, d, config.embed_dim);
  // Rows scaled to unit L2 norm, eps as layers.ts l2normalizeRows.
  const sq = g.op('ReduceSum', [g.op('Mul', [y, y]), g.ints([1])], { keepdims: 1 });
  const out = g.op('Div', [y, g.op('Sqrt', [g.op('Max', [sq, g.scalar(1e-12)])])]);
  g.output(out, 'embedding', DataType.FLOAT, ['B', config.embed_dim]);
  return g.encode(`${config.name}-text`, 'vlm text-tower-onnx-export');
}
