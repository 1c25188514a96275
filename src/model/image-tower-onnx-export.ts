import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { VlmError } from '../util/errors.js';
import { foldBatchNorm } from './image-tower-fold.js';
import { parseTap, TOWER_ENDPOINTS, type TowerName } from './image-tower.js';
import { NSFWJS_MODEL_INFO, nsfwjsArtifacts } from './nsfwjs-loader.js';
import { initTf, tf } from './tf.js';

/**
 * Convert an nsfwjs image tower (up to the requested taps) to an ONNX model, so onnxruntime-node's native kernels
 * (AVX2/FMA, ~4x the throughput of tfjs-wasm per core on this machine) can extract features.
 *
 * The ONNX graph takes the same input as the tfjs tower, `pixels` [N, S, S, 3] NHWC (tower.preprocess), transposes
 * once to NCHW, and has one output per tap: `<endpoint>_gap` / `_gmp` [N, C], `<endpoint>_map` [N, h, w, C] (NHWC,
 * like the tfjs tower). Covers the ops of these three networks only; anything else throws.
 * onnx-proto is a runtime dependency: this runs on first use of a tower (and the text tower / image head converters on every load).
 */

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

type Attr = number | number[] | string;

class Graph {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly inits: OnnxTypes.ITensorProto[] = [];
  private n = 0;

  init(data: Float32Array | BigInt64Array, dims: number[], name = `c${this.n++}`): string {
    const dataType = data instanceof Float32Array ? T.FLOAT : T.INT64;
    this.inits.push({ name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  op(opType: string, input: string[], attrs: Record<string, Attr> = {}, out = `t${this.n++}`): string {
    const attribute = Object.entries(attrs).map(([name, v]): OnnxTypes.IAttributeProto => {
      if (typeof v === 'number') return { name, type: A.INT, i: v };
      if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
      return { name, type: A.INTS, ints: v };
    });
    this.nodes.push({ name: `${opType}_${this.n++}`, opType, input, output: [out], attribute });
    return out;
  }

  /** Conv with weights given in TF layout: kernel [kh, kw, in, out] or depthwise [kh, kw, in, mult]. */
  conv(x: string, kernel: tf.Tensor, bias: tf.Tensor | undefined, o: { depthwise: boolean; strides: number[]; same: boolean; dilations: number[] }): string {
    const [kh, kw, cin, cout] = kernel.shape as number[];
    // ONNX wants [out, in/group, kh, kw]; for depthwise out channel = i*mult + m, group = in.
    const w = o.depthwise
      ? tf.tidy(() => tf.reshape(tf.transpose(kernel, [2, 3, 0, 1]), [cin * cout, 1, kh, kw]))
      : tf.tidy(() => tf.transpose(kernel, [3, 2, 0, 1]));
    const inputs = [x, this.init(w.dataSync() as Float32Array, w.shape as number[])];
    w.dispose();
    if (bias) inputs.push(this.init(Float32Array.from(bias.dataSync()), bias.shape as number[]));
    const attrs: Record<string, Attr> = { kernel_shape: [kh, kw], strides: o.strides, dilations: o.dilations };
    if (o.depthwise) attrs.group = cin;
    // TF 'SAME' pads the extra row/column at the bottom/right, which is ONNX SAME_UPPER.
    if (o.same) attrs.auto_pad = 'SAME_UPPER';
    return this.op('Conv', inputs, attrs);
  }

  relu6(x: string): string {
    return this.op('Clip', [x, this.init(Float32Array.of(0), []), this.init(Float32Array.of(6), [])]);
  }
}

interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, unknown>][][];
}

/** Walk a (BatchNorm-folded) Keras topology; returns NCHW tensor names of the wanted layers. */
function kerasToOnnx(g: Graph, input: string, topology: object, weights: tf.NamedTensorMap, wanted: string[]): Map<string, string> {
  const layers = (topology as { model_config: { config: { layers: KerasLayer[] } } }).model_config.config.layers;
  const byName = new Map(layers.map((l) => [l.name, l]));
  const srcs = (l: KerasLayer) => (l.inbound_nodes[0] ?? []).map((r) => r[0]);
  // Only the ancestors of the wanted layers (skips the nsfw head).
  const need = new Set<string>();
  const stack = [...wanted];
  while (stack.length) {
    const n = stack.pop()!;
    if (need.has(n)) continue;
    if (!byName.has(n)) throw new VlmError(`ONNX export: no layer ${n}`);
    need.add(n);
    stack.push(...srcs(byName.get(n)!));
  }
  const t = new Map<string, string>();
  for (const l of layers) {
    if (!need.has(l.name)) continue;
    const c = l.config;
    const x = srcs(l).map((s) => t.get(s)!);
    const pair = (v: unknown) => (Array.isArray(v) ? (v as number[]) : [v as number, v as number]);
    let y: string;
    switch (l.class_name) {
      case 'InputLayer':
        y = input;
        break;
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = c.padding as number[][];
        y = g.op('Pad', [x[0], g.init(BigInt64Array.from([0, 0, top, left, 0, 0, bottom, right].map(BigInt)), [8])]);
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = l.class_name === 'DepthwiseConv2D';
        const kernel = weights[`${l.name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`];
        const bias = c.use_bias ? weights[`${l.name}/bias`] : undefined;
        y = g.conv(x[0], kernel, bias, { depthwise, strides: pair(c.strides), same: c.padding === 'same', dilations: pair(c.dilation_rate) });
        if (c.activation === 'relu') y = g.op('Relu', [y]);
        else if (c.activation !== 'linear') throw new VlmError(`ONNX export: activation ${String(c.activation)} of ${l.name}`);
        break;
      }
      case 'ReLU':
        if (c.max_value === 6 && !c.negative_slope && !c.threshold) y = g.relu6(x[0]);
        else if (c.max_value == null && !c.negative_slope && !c.threshold) y = g.op('Relu', [x[0]]);
        else throw new VlmError(`ONNX export: unsupported ReLU config of ${l.name}`);
        break;
      case 'Activation':
        if (c.activation !== 'relu') throw new VlmError(`ONNX export: activation ${String(c.activation)} of ${l.name}`);
        y = g.op('Relu', [x[0]]);
        break;
      case 'Add':
        y = x.slice(1).reduce((a, b) => g.op('Add', [a, b]), x[0]);
        break;
      case 'Concatenate':
        if (c.axis !== -1 && c.axis !== 3) throw new VlmError(`ONNX export: concat axis ${String(c.axis)} of ${l.name}`);
        y = g.op('Concat', x, { axis: 1 });
        break;
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        const attrs: Record<string, Attr> = { kernel_shape: pair(c.pool_size), strides: pair(c.strides ?? c.pool_size) };
        if (c.padding === 'same') attrs.auto_pad = 'SAME_UPPER'; // TF averages over valid pixels only = count_include_pad 0
        y = g.op(l.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [x[0]], attrs);
        break;
      }
      default:
        throw new VlmError(`ONNX export: unsupported layer ${l.class_name} (${l.name})`);
    }
    t.set(l.name, y);
  }
  return t;
}

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { list?: { i?: string[]; s?: string[] }; s?: string }>;
}

/** Walk a TF graph (the tfjs graph model of mobilenet_v2_mid). */
function tfGraphToOnnx(g: Graph, input: string, topology: object, weights: tf.NamedTensorMap, wanted: string[]): Map<string, string> {
  const nodes = (topology as { node: TfNode[] }).node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const data = (n: string) => (n.startsWith('^') ? undefined : n.split(':')[0]);
  const need = new Set<string>();
  const stack = [...wanted];
  while (stack.length) {
    const n = stack.pop()!;
    if (need.has(n)) continue;
    const node = byName.get(n);
    if (!node) throw new VlmError(`ONNX export: no graph node ${n}`);
    need.add(n);
    for (const i of node.input ?? []) {
      const d = data(i);
      if (d) stack.push(d);
    }
  }
  const str = (b64: string) => Buffer.from(b64, 'base64').toString();
  const t = new Map<string, string>();
  const value = (n: string): string => {
    const v = t.get(n);
    if (v) return v;
    const w = weights[n];
    if (!w) throw new VlmError(`ONNX export: no value for ${n}`);
    const name = g.init(Float32Array.from(w.dataSync()), w.shape as number[]);
    t.set(n, name);
    return name;
  };
  for (const node of nodes) {
    if (!need.has(node.name) || node.op === 'Const') continue;
    const ins = (node.input ?? []).map(data).filter((x): x is string => !!x);
    const a = node.attr ?? {};
    let y: string;
    switch (node.op) {
      case 'Placeholder':
        y = input;
        break;
      case 'Mul':
      case 'Sub':
      case 'AddV2':
        y = g.op(node.op === 'AddV2' ? 'Add' : node.op, ins.map(value));
        break;
      case '_FusedConv2D':
      case 'FusedDepthwiseConv2dNative': {
        if (a.data_format?.s && str(a.data_format.s) !== 'NHWC') throw new VlmError(`ONNX export: ${node.name} is not NHWC`);
        const fused = (a.fused_ops?.list?.s ?? []).map(str);
        if (fused[0] !== 'BiasAdd' || fused.length > 2 || (fused[1] && fused[1] !== 'Relu6' && fused[1] !== 'Relu')) {
          throw new VlmError(`ONNX export: fused ops ${fused.join('+')} of ${node.name}`);
        }
        const pad = str(a.padding?.s ?? '');
        if (pad !== 'SAME' && pad !== 'VALID') throw new VlmError(`ONNX export: padding ${pad} of ${node.name}`);
        const hw = (k: string) => (a[k]?.list?.i ?? ['1', '1', '1', '1']).map(Number).slice(1, 3);
        y = g.conv(value(ins[0]), weights[ins[1]], weights[ins[2]], {
          depthwise: node.op === 'FusedDepthwiseConv2dNative',
          strides: hw('strides'),
          same: pad === 'SAME',
          dilations: hw('dilations'),
        });
        if (fused[1] === 'Relu6') y = g.relu6(y);
        else if (fused[1] === 'Relu') y = g.op('Relu', [y]);
        break;
      }
      default:
        throw new VlmError(`ONNX export: unsupported graph op ${node.op} (${node.name})`);
    }
    t.set(node.name, y);
  }
  return t;
}

/** Serialised ONNX model of `name` computing `taps` (see parseTap) from NHWC pixels. */
export async function exportTowerOnnx(name: TowerName, taps: string[]): Promise<Uint8Array> {
  await initTf();
  const info = NSFWJS_MODEL_INFO[name];
  const endpoints = TOWER_ENDPOINTS[name];
  const parsed = taps.map((tap) => ({ tap, ...parseTap(tap) }));
  for (const p of parsed) if (!endpoints[p.endpoint]) throw new VlmError(`ONNX export: ${name} has no endpoint ${p.endpoint}`);
  const eps = [...new Set(parsed.map((p) => p.endpoint))];
  const nodesWanted = eps.map((e) => endpoints[e].node);

  const art = nsfwjsArtifacts(name);
  let topology = art.modelTopology as object;
  let weights = tf.io.decodeWeights(art.weightData!, art.weightSpecs!);
  if (info.kind === 'layers') ({ topology, weights } = foldBatchNorm(topology, weights));

  const g = new Graph();
  const s = info.inputSize;
  const x = g.op('Transpose', ['pixels'], { perm: [0, 3, 1, 2] });
  const t = info.kind === 'layers' ? kerasToOnnx(g, x, topology, weights, nodesWanted) : tfGraphToOnnx(g, x, topology, weights, nodesWanted);
  tf.dispose(Object.values(weights));

  const outputs: OnnxTypes.IValueInfoProto[] = [];
  const vi = (n: string, dims: (number | string)[]): OnnxTypes.IValueInfoProto => ({
    name: n,
    type: { tensorType: { elemType: T.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  for (const p of parsed) {
    const ep = endpoints[p.endpoint];
    const src = t.get(ep.node)!;
    if (p.pooling === 'map') {
      g.op('Transpose', [src], { perm: [0, 2, 3, 1] }, p.tap);
      outputs.push(vi(p.tap, ['N', ...ep.shape]));
    } else {
      const pooled = g.op(p.pooling === 'gap' ? 'GlobalAveragePool' : 'GlobalMaxPool', [src]);
      g.op('Flatten', [pooled], { axis: 1 }, p.tap);
      outputs.push(vi(p.tap, ['N', ep.shape[2]]));
    }
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'vlm image-tower-onnx-export',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: `${name}-features`, node: g.nodes, initializer: g.inits, input: [vi('pixels', ['N', s, s, 3])], output: outputs },
  });
  return onnx.ModelProto.encode(model).finish();
}
