import { VlmError } from '../util/errors.js';
import type { ModelConfig } from './config.js';
import { tensorToFloat32, type SafeTensor } from './safetensors.js';
import { DataType, OnnxGraph } from './text-tower-onnx-graph.js';

/**
 * The trainable image head (src/model/image-head.ts, inference path) as ONNX, converted from the safetensors
 * weights: per-input normalisation -> concat -> MLP or linear -> L2 norm.
 * Inputs `input0..k` [N, dim_i] in config.image.inputs order; output `embedding` [N, embed_dim].
 */
export function exportImageHeadOnnx(config: ModelConfig, tensors: Map<string, SafeTensor>): Uint8Array {
  const { inputs, head } = config.image;
  const g = new OnnxGraph();
  const weight = (name: string, shape: number[]): string => {
    const t = tensors.get(name);
    if (!t) throw new VlmError(`image head ONNX export: the weights lack "${name}"`);
    if (t.shape.join(',') !== shape.join(',')) throw new VlmError(`image head ONNX export: "${name}" has shape [${t.shape}], expected [${shape}]`);
    return g.init(tensorToFloat32(t, name), shape);
  };
  const l2 = (x: string): string => {
    const sq = g.op('ReduceSum', [g.op('Mul', [x, x]), g.ints([1])], { keepdims: 1 });
    return g.op('Div', [x, g.op('Sqrt', [g.op('Max', [sq, g.scalar(1e-12)])])]);
  };
  const parts = inputs.map((spec, i) => {
    const x = g.input(`input${i}`, DataType.FLOAT, ['N', spec.dim]);
    if (head.input_norm === 'standardize') {
      return g.op('Div', [g.op('Sub', [x, weight(`image.inputs.${i}.mean`, [spec.dim])]), weight(`image.inputs.${i}.std`, [spec.dim])]);
    }
    if (head.input_norm === 'l2') return g.op('Mul', [l2(x), g.scalar(Math.sqrt(spec.dim))]);
    return x;
  });
  const inDim = inputs.reduce((a, s) => a + s.dim, 0);
  const x = parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: 1 });
  let y: string;
  if (head.type === 'mlp') {
    // GELU, tanh approximation as layers.ts (FastGelu adds the fc1 bias first).
    const h = g.op('FastGelu', [g.op('MatMul', [x, weight('image.fc1.weight', [inDim, head.hidden])]), weight('image.fc1.bias', [head.hidden])], {}, undefined, 'com.microsoft');
    y = g.op('Gemm', [h, weight('image.fc2.weight', [head.hidden, config.embed_dim]), weight('image.fc2.bias', [config.embed_dim])]);
  } else {
    y = g.op('Gemm', [x, weight('image.proj.weight', [inDim, config.embed_dim]), weight('image.proj.bias', [config.embed_dim])]);
  }
  g.output(l2(y), 'embedding', DataType.FLOAT, ['N', config.embed_dim]);
  return g.encode(`${config.name}-image-head`, 'vlm image-head-onnx');
}

