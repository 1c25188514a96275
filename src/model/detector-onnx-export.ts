import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { VlmError } from '../util/errors.js';
import { CENTERNET_INPUT } from './detector-input.js';
import { initTf, tf } from './tf.js';

/**
 * Convert the MB3-CenterNet tfjs graph model (@vladmandic/human models/centernet.json) to ONNX, so onnxruntime-node's
 * native kernels run it instead of tfjs-wasm.
 *
 * A generic walker over the TF graph nodes: 4-D activations are kept NCHW (one transpose of the input), everything
 * else (the graph's own peak picking: 3x3 max-pool, top-100, index arithmetic, box gather) keeps TF's layout, and a
 * tensor is transposed back to NHWC only where a layout-sensitive op (Reshape) needs it. TF int32 becomes ONNX int64
 * (TopK's index type). The ONNX model also does the input resize, as tf.image.resizeBilinear does it
 * (align_corners = half_pixel_centers = false, i.e. Resize 'asymmetric'), so any image size goes in.
 *
 * Inputs:  pixels [1, H, W, 3] float 0..255 (NHWC).
 * Outputs: detections [1, 100, 6] (x1, y1, x2, y2 in 512-px input space, score, class: the graph's tower_0/detections),
 *          class_max [1, 80] (per class the maximum of the 128x128 sigmoid heatmap tower_0/keypoints).
 */

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

type Attr = number | number[] | string;

/** A graph value: its ONNX name and whether it is a 4-D activation stored NCHW (TF has it NHWC). */
interface Val {
  name: string;
  nchw: boolean;
}

class Graph {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly inits: OnnxTypes.ITensorProto[] = [];
  private n = 0;

  init(data: Float32Array | BigInt64Array, dims: number[]): string {
    const name = `c${this.n++}`;
    const dataType = data instanceof Float32Array ? T.FLOAT : T.INT64;
    this.inits.push({ name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  ints(values: number[], dims = [values.length]): string {
    return this.init(BigInt64Array.from(values.map(BigInt)), dims);
  }

  /** One node; returns its output names (`outputs` of them). */
  ops(opType: string, input: string[], attrs: Record<string, Attr> = {}, outputs = 1): string[] {
    const attribute = Object.entries(attrs).map(([name, v]): OnnxTypes.IAttributeProto => {
      if (typeof v === 'number') return { name, type: A.INT, i: v };
      if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
      return { name, type: A.INTS, ints: v };
    });
    const output = Array.from({ length: outputs }, () => `t${this.n++}`);
    this.nodes.push({ name: `${opType}_${this.n++}`, opType, input, output, attribute });
    return output;
  }

  op(opType: string, input: string[], attrs: Record<string, Attr> = {}): string {
    return this.ops(opType, input, attrs)[0];
  }
}

interface TfAttr {
  s?: string;
  i?: string;
  b?: boolean;
  type?: string;
  list?: { i?: string[]; s?: string[] };
}

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

interface GraphModelJson {
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** TF axis of an NHWC tensor -> the same axis in NCHW. */
const NCHW_AXIS = [0, 2, 3, 1];

const str = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64').toString() : '');

/** Weights (all Const nodes, float16-quantised floats decoded to float32) by node name. */
function readWeights(jsonPath: string, json: GraphModelJson): tf.NamedTensorMap {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(readFileSync(join(dirname(jsonPath), p)));
  }
  const all = Buffer.concat(buffers);
  return tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), specs);
}

/**
 * MobileNetV3's hard-swish as TF spells it, x * c * relu6(x + 3) with c ~ 1/6 (four ops over the whole tensor), found
 * so it can run as ONNX HardSwish(x) * 6c, the same function in two passes. Returns, per final Mul node, x and c;
 * `inner` holds the three nodes it replaces (each used only there).
 */
function findHardSwishes(nodes: TfNode[], weights: tf.NamedTensorMap): { at: Map<string, { x: string; c: number }>; inner: Set<string> } {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const uses = new Map<string, number>();
  for (const n of nodes) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const scalar = (ref: string) => (weights[ref]?.rank === 0 ? weights[ref].dataSync()[0] : undefined);
  const at = new Map<string, { x: string; c: number }>();
  const inner = new Set<string>();
  for (const n of nodes) {
    if (n.op !== 'Mul' || n.input?.length !== 2) continue;
    const [p, q] = n.input.map((i) => byName.get(i));
    const relu6 = [p, q].find((v) => v?.op === 'Relu6');
    const mul = [p, q].find((v) => v?.op === 'Mul');
    const add = relu6 && byName.get(relu6.input?.[0] ?? '');
    if (!relu6 || !mul || add?.op !== 'Add' || add.input?.length !== 2 || mul.input?.length !== 2) continue;
    const x = add.input.find((i) => scalar(i) === undefined);
    const three = add.input.find((i) => scalar(i) === 3);
    const cRef = mul.input.find((i) => scalar(i) !== undefined);
    if (!x || !three || !cRef || !mul.input.includes(x)) continue;
    if ([mul, relu6, add].some((v) => uses.get(v.name) !== 1)) continue;
    at.set(n.name, { x, c: scalar(cRef)! });
    for (const v of [mul, relu6, add]) inner.add(v.name);
  }
  return { at, inner };
}

function convert(g: Graph, json: GraphModelJson, weights: tf.NamedTensorMap, pixels: string): Map<string, Val> {
  const vals = new Map<string, Val>();
  const konst = (n: string) => {
    const w = weights[n];
    if (!w) throw new VlmError(`ONNX export: no constant ${n}`);
    return w;
  };
  const constInts = (n: string) => Array.from(konst(n).dataSync());
  /** A value by TF input reference ('name' or 'name:k'); Consts become initializers (int32 -> int64). */
  const val = (ref: string): Val => {
    const v = vals.get(ref.endsWith(':0') ? ref.slice(0, -2) : ref);
    if (v) return v;
    const w = konst(ref);
    const data = w.dtype === 'float32' ? Float32Array.from(w.dataSync()) : BigInt64Array.from(Array.from(w.dataSync(), (x) => BigInt(x)));
    const c = { name: g.init(data, w.shape as number[]), nchw: false };
    vals.set(ref, c);
    return c;
  };
  const toNhwc = (v: Val): string => (v.nchw ? g.op('Transpose', [v.name], { perm: NCHW_TO_NHWC }) : v.name);
  const conv = (node: TfNode, ins: string[], depthwise: boolean, bias: boolean): string => {
    const a = node.attr ?? {};
    if (a.data_format?.s && str(a.data_format.s) !== 'NHWC') throw new VlmError(`ONNX export: ${node.name} is not NHWC`);
    const pad = str(a.padding?.s);
    if (pad !== 'SAME' && pad !== 'VALID') throw new VlmError(`ONNX export: padding ${pad} of ${node.name}`);
    const x = val(ins[0]);
    if (!x.nchw) throw new VlmError(`ONNX export: conv ${node.name} on a non-image tensor`);
    const kernel = konst(ins[1]);
    const [kh, kw, cin, cout] = kernel.shape as number[];
    // ONNX wants [out, in/group, kh, kw]; a depthwise kernel [kh, kw, in, mult] has output channel in*mult + m.
    const w = tf.tidy(() => (depthwise ? tf.reshape(tf.transpose(kernel, [2, 3, 0, 1]), [cin * cout, 1, kh, kw]) : tf.transpose(kernel, [3, 2, 0, 1])));
    const inputs = [x.name, g.init(Float32Array.from(w.dataSync()), w.shape as number[])];
    w.dispose();
    if (bias) inputs.push(val(ins[2]).name);
    const hw = (k: string) => (a[k]?.list?.i ?? ['1', '1', '1', '1']).map(Number).slice(1, 3);
    const attrs: Record<string, Attr> = { kernel_shape: [kh, kw], strides: hw('strides'), dilations: hw('dilations') };
    if (depthwise) attrs.group = cin;
    // TF 'SAME' puts the odd padding row/column at the bottom/right: ONNX SAME_UPPER.
    if (pad === 'SAME') attrs.auto_pad = 'SAME_UPPER';
    return g.op('Conv', inputs, attrs);
  };
  const activation = (node: TfNode, y: string): string => {
    const fused = (node.attr?.fused_ops?.list?.s ?? []).map(str);
    if (fused.length === 0) return y;
    if (fused[0] !== 'BiasAdd' || fused.length > 2) throw new VlmError(`ONNX export: fused ops ${fused.join('+')} of ${node.name}`);
    if (fused[1] === 'Relu') return g.op('Relu', [y]);
    if (fused[1] === 'Relu6') return g.op('Clip', [y, g.init(Float32Array.of(0), []), g.init(Float32Array.of(6), [])]);
    if (fused[1] !== undefined) throw new VlmError(`ONNX export: fused ops ${fused.join('+')} of ${node.name}`);
    return y;
  };

  const hardSwish = findHardSwishes(json.modelTopology.node, weights);
  for (const node of json.modelTopology.node) {
    if (node.op === 'Const' || hardSwish.inner.has(node.name)) continue;
    const hs = hardSwish.at.get(node.name);
    if (hs) {
      const x = val(hs.x);
      vals.set(node.name, { name: g.op('Mul', [g.op('HardSwish', [x.name]), g.init(Float32Array.of(6 * hs.c), [])]), nchw: x.nchw });
      continue;
    }
    const ins = (node.input ?? []).filter((i) => !i.startsWith('^'));
    const a = node.attr ?? {};
    let out: Val | Val[];
    const same = (name: string): Val => ({ name, nchw: val(ins[0]).nchw });
    switch (node.op) {
      case 'Placeholder':
        out = { name: pixels, nchw: true };
        break;
      case 'Identity':
        out = val(ins[0]);
        break;
      case '_FusedConv2D':
      case 'FusedDepthwiseConv2dNative':
        out = { name: activation(node, conv(node, ins, node.op !== '_FusedConv2D', true)), nchw: true };
        break;
      case 'Conv2D':
      case 'DepthwiseConv2dNative':
        out = { name: conv(node, ins, node.op !== 'Conv2D', false), nchw: true };
        break;
      case 'Relu':
      case 'Sigmoid':
        out = same(g.op(node.op, [val(ins[0]).name]));
        break;
      case 'Relu6':
        out = same(g.op('Clip', [val(ins[0]).name, g.init(Float32Array.of(0), []), g.init(Float32Array.of(6), [])]));
        break;
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
      case 'Equal':
      case 'FloorDiv':
      case 'FloorMod': {
        const [x, y] = ins.map(val);
        // Layouts must agree; the graph's constants here are scalars, which broadcast in either layout.
        for (const ref of ins) {
          if (weights[ref] && weights[ref].rank > 0 && (x.nchw || y.nchw)) throw new VlmError(`ONNX export: non-scalar constant ${ref} in ${node.name}`);
        }
        if (x.nchw !== y.nchw && !ins.some((ref) => weights[ref])) throw new VlmError(`ONNX export: mixed layouts in ${node.name}`);
        // Integer FloorDiv on the graph's non-negative indices: ONNX Div truncates, which is the same there.
        const onnxOp = { Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', Equal: 'Equal', FloorDiv: 'Div', FloorMod: 'Mod' }[node.op]!;
        out = { name: g.op(onnxOp, [x.name, y.name]), nchw: x.nchw || y.nchw };
        break;
      }
      case 'Mean': {
        const x = val(ins[0]);
        const axes = constInts(ins[1]).map((ax) => (x.nchw ? NCHW_AXIS[ax < 0 ? ax + 4 : ax] : ax));
        out = { name: g.op('ReduceMean', [x.name], { axes, keepdims: a.keep_dims?.b ? 1 : 0 }), nchw: x.nchw && !!a.keep_dims?.b };
        break;
      }
      case 'ResizeBilinear': {
        if (a.align_corners?.b || a.half_pixel_centers?.b) throw new VlmError(`ONNX export: ${node.name} resize mode not supported`);
        const x = val(ins[0]);
        const hw = constInts(ins[1]);
        out = { name: resizeLikeTf(g, x.name, hw), nchw: true };
        break;
      }
      case 'ConcatV2': {
        const parts = ins.slice(0, -1).map(val);
        let axis = constInts(ins[ins.length - 1])[0];
        const nchw = parts.every((p) => p.nchw);
        if (!nchw && parts.some((p) => p.nchw)) throw new VlmError(`ONNX export: mixed layouts in ${node.name}`);
        if (nchw) axis = NCHW_AXIS[axis < 0 ? axis + 4 : axis];
        out = { name: g.op('Concat', parts.map((p) => p.name), { axis }), nchw };
        break;
      }
      case 'MaxPool': {
        const x = val(ins[0]);
        if (!x.nchw) throw new VlmError(`ONNX export: MaxPool ${node.name} on a non-image tensor`);
        const hw = (k: string) => (a[k]?.list?.i ?? []).map(Number).slice(1, 3);
        const attrs: Record<string, Attr> = { kernel_shape: hw('ksize'), strides: hw('strides') };
        // TF pads max-pool windows with -inf (padding never wins), as ONNX MaxPool does.
        if (str(a.padding?.s) === 'SAME') attrs.auto_pad = 'SAME_UPPER';
        out = { name: g.op('MaxPool', [x.name], attrs), nchw: true };
        break;
      }
      case 'Cast': {
        const to = { DT_FLOAT: T.FLOAT, DT_INT32: T.INT64 }[a.DstT?.type ?? ''];
        if (to === undefined) throw new VlmError(`ONNX export: cast to ${a.DstT?.type} in ${node.name}`);
        out = same(g.op('Cast', [val(ins[0]).name], { to }));
        break;
      }
      case 'Reshape':
        out = { name: g.op('Reshape', [toNhwc(val(ins[0])), val(ins[1]).name]), nchw: false };
        break;
      case 'ExpandDims':
        out = { name: g.op('Unsqueeze', [toNhwc(val(ins[0])), val(ins[1]).name]), nchw: false };
        break;
      case 'TopKV2': {
        const k = constInts(ins[1]);
        if (a.sorted?.b === false) throw new VlmError(`ONNX export: unsorted TopK ${node.name}`);
        const [values, indices] = g.ops('TopK', [toNhwc(val(ins[0])), g.ints(k)], { axis: -1, largest: 1, sorted: 1 }, 2);
        out = [{ name: values, nchw: false }, { name: indices, nchw: false }];
        break;
      }
      case 'GatherV2': {
        if (Number(a.batch_dims?.i ?? 0) !== 0) throw new VlmError(`ONNX export: batched gather ${node.name}`);
        const axis = constInts(ins[2])[0];
        out = { name: g.op('Gather', [toNhwc(val(ins[0])), val(ins[1]).name], { axis }), nchw: false };
        break;
      }
      case 'StridedSlice': {
        for (const m of ['ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask']) {
          if (Number(a[m]?.i ?? 0) !== 0) throw new VlmError(`ONNX export: ${m} of ${node.name}`);
        }
        const [begin, end, strides] = ins.slice(1, 4).map(constInts);
        if (strides.some((s) => s <= 0)) throw new VlmError(`ONNX export: negative stride in ${node.name}`);
        const beginMask = Number(a.begin_mask?.i ?? 0), endMask = Number(a.end_mask?.i ?? 0);
        const starts = begin.map((b, i) => (beginMask & (1 << i) ? 0 : b));
        const ends = end.map((e, i) => (endMask & (1 << i) ? Number.MAX_SAFE_INTEGER : e));
        const axes = begin.map((_, i) => i);
        out = { name: g.op('Slice', [toNhwc(val(ins[0])), g.ints(starts), g.ints(ends), g.ints(axes), g.ints(strides)]), nchw: false };
        break;
      }
      default:
        throw new VlmError(`ONNX export: unsupported graph op ${node.op} (${node.name})`);
    }
    if (Array.isArray(out)) {
      out.forEach((v, i) => vals.set(i === 0 ? node.name : `${node.name}:${i}`, v));
    } else {
      vals.set(node.name, out);
    }
  }
  return vals;
}

/**
 * tf.image.resizeBilinear (align_corners = half_pixel_centers = false: source = dest * in / out) of an NCHW tensor to
 * [h, w]: ONNX Resize 'asymmetric' with the target size taken at run time, so the input may have any size.
 */
function resizeLikeTf(g: Graph, x: string, hw: number[]): string {
  const nc = g.op('Shape', [x], { start: 0, end: 2 });
  const sizes = g.op('Concat', [nc, g.ints(hw)], { axis: 0 });
  return g.op('Resize', [x, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'asymmetric' });
}

/** Serialised ONNX model of the centernet graph at `jsonPath` (see the module comment for inputs and outputs). */
export async function exportCenternetOnnx(jsonPath: string): Promise<Uint8Array> {
  await initTf();
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as GraphModelJson;
  const weights = readWeights(jsonPath, json);
  const g = new Graph();
  const nchw = g.op('Transpose', ['pixels'], { perm: NHWC_TO_NCHW });
  // Stretched, not letterboxed, to the 512x512 the graph takes (as human and the tfjs path feed it).
  const resized = resizeLikeTf(g, nchw, [CENTERNET_INPUT, CENTERNET_INPUT]);
  let vals: Map<string, Val>;
  try {
    vals = convert(g, json, weights, resized);
  } finally {
    tf.dispose(Object.values(weights));
  }
  const det = vals.get('tower_0/detections');
  const heat = vals.get('tower_0/keypoints');
  if (!det || !heat?.nchw) throw new VlmError('ONNX export: the graph has no tower_0/detections or tower_0/keypoints');
  g.nodes.push({ name: 'detections', opType: 'Identity', input: [det.name], output: ['detections'] });
  g.nodes.push({ name: 'class_max', opType: 'ReduceMax', input: [heat.name], output: ['class_max'], attribute: [{ name: 'axes', type: A.INTS, ints: [2, 3] }, { name: 'keepdims', type: A.INT, i: 0 }] });

  const vi = (name: string, dims: (number | string)[]): OnnxTypes.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: T.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'vlm detector-onnx-export',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'centernet',
      node: g.nodes,
      initializer: g.inits,
      input: [vi('pixels', [1, 'H', 'W', 3])],
      output: [vi('detections', [1, 100, 6]), vi('class_max', [1, 80])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
