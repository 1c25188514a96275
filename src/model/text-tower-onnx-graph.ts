import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

/**
 * A minimal in-memory ONNX graph builder (onnx-proto): initializers, nodes, typed inputs/outputs, serialisation.
 * Used to convert our own models (the text tower, the image head) from their safetensors weights at load time.
 */

const { onnx } = onnxProto;
export const DataType = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

/** Attribute values: integers, integer lists, strings, and floats wrapped as { f } (1.0 must not become an INT). */
export type Attr = number | number[] | string | { f: number };

type Dim = number | string;

export class OnnxGraph {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly inits: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private n = 0;

  /** A constant tensor. Uint16Array means IEEE half-precision bit patterns (FLOAT16). */
  init(data: Float32Array | BigInt64Array | Uint16Array, dims: number[], name = `c${this.n++}`): string {
    const dataType = data instanceof Float32Array ? DataType.FLOAT : data instanceof BigInt64Array ? DataType.INT64 : DataType.FLOAT16;
    this.inits.push({ name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  scalar(v: number): string {
    return this.init(Float32Array.of(v), []);
  }

  ints(v: number[]): string {
    return this.init(BigInt64Array.from(v.map(BigInt)), [v.length]);
  }

  /** A node; `domain` 'com.microsoft' selects onnxruntime's contrib ops (fused attention, GELU). */
  op(opType: string, input: string[], attrs: Record<string, Attr> = {}, out = `t${this.n++}`, domain = ''): string {
    const attribute = Object.entries(attrs).map(([name, v]): OnnxTypes.IAttributeProto => {
      if (typeof v === 'number') return { name, type: A.INT, i: v };
      if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
      if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
      return { name, type: A.FLOAT, f: v.f };
    });
    this.nodes.push({ name: `${opType}_${this.n++}`, opType, domain, input, output: [out], attribute });
    return out;
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Marks `value` as a graph output named `name` (through an Identity when the names differ). */
  output(value: string, name: string, elemType: number, dims: Dim[]): void {
    if (value !== name) this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  encode(graphName: string, producer: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: producer,
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph: { name: graphName, node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}
