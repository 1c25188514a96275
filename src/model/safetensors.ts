import { readFileSync } from 'node:fs';
import { VlmError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`, then the raw
 * little-endian tensor bytes. Only the dtypes vlm writes are supported; F16 values travel as raw 16-bit patterns
 * so a read-then-write round trip is bit-exact.
 */
export type SafeDtype = 'F32' | 'F16' | 'I32';

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  /** F32: Float32Array, I32: Int32Array, F16: Uint16Array of IEEE half-precision bit patterns. */
  data: Float32Array | Int32Array | Uint16Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, I32: 4 };

function checkTensor(name: string, t: SafeTensor): void {
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new VlmError(`safetensors: tensor "${name}" has an invalid shape [${t.shape.join(', ')}]`);
  const want = t.dtype === 'F32' ? Float32Array : t.dtype === 'I32' ? Int32Array : t.dtype === 'F16' ? Uint16Array : undefined;
  if (!want) throw new VlmError(`safetensors: tensor "${name}" has unsupported dtype ${String(t.dtype)}; use F32, F16 or I32`);
  if (!(t.data instanceof want)) throw new VlmError(`safetensors: tensor "${name}" (${t.dtype}) needs a ${want.name}`);
  if (t.data.length !== n) throw new VlmError(`safetensors: tensor "${name}" has ${t.data.length} values but shape [${t.shape.join(', ')}] needs ${n}`);
}

/** Serialise tensors (in the given order) and string metadata into one safetensors buffer. */
export function encodeSafetensors(tensors: Map<string, SafeTensor> | Record<string, SafeTensor>, metadata: Record<string, string> = {}): Buffer {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new VlmError(`safetensors: metadata "${k}" must be a string`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new VlmError('safetensors: "__metadata__" is reserved and cannot name a tensor');
    checkTensor(name, t);
    const size = t.data.length * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  // Pad the header with spaces so the data starts 8-byte aligned (what the reference writer does).
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    bytes.copy(out, pos);
    pos += bytes.length;
  }
  return out;
}

/** Parse a safetensors buffer; tensor data is copied out, so the result does not alias the input. */
export function decodeSafetensors(buf: Uint8Array, source = 'buffer'): SafetensorsFile {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (why: string): never => {
    throw new VlmError(`safetensors: ${source} is not a valid safetensors file (${why}); re-export the weights`);
  };
  if (b.length < 8) fail('shorter than 8 bytes');
  const n = Number(b.readBigUInt64LE(0));
  if (n > b.length - 8) fail(`header length ${n} exceeds the file size`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('header is not JSON');
  }
  const dataStart = 8 + n;
  const dataLen = b.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    const dtype = info.dtype as SafeDtype;
    if (!(dtype in BYTES)) fail(`tensor "${name}" has unsupported dtype ${String(info.dtype)}`);
    if (!Array.isArray(info.shape) || !Array.isArray(info.data_offsets)) fail(`tensor "${name}" lacks shape or data_offsets`);
    const [begin, end] = info.data_offsets as [number, number];
    const count = (info.shape as number[]).reduce((a, c) => a * c, 1);
    if (!(begin >= 0 && end <= dataLen && end - begin === count * BYTES[dtype])) fail(`tensor "${name}" has bad data_offsets [${begin}, ${end}]`);
    // Copy into a fresh, aligned buffer: the data section need not be aligned for typed-array views.
    const bytes = new Uint8Array(end - begin);
    bytes.set(b.subarray(dataStart + begin, dataStart + end));
    const data =
      dtype === 'F32' ? new Float32Array(bytes.buffer) : dtype === 'I32' ? new Int32Array(bytes.buffer) : new Uint16Array(bytes.buffer);
    tensors.set(name, { dtype, shape: [...(info.shape as number[])], data });
  }
  return { tensors, metadata };
}

export function readSafetensors(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new VlmError(`cannot read weights file ${path}: ${(e as Error).message}`, { cause: e });
  }
  return decodeSafetensors(buf, path);
}

/** Write atomically (temp file + rename), so a kill mid-write never leaves a truncated checkpoint. */
export function writeSafetensors(path: string, tensors: Map<string, SafeTensor> | Record<string, SafeTensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

// --- IEEE 754 half precision (Node 20 has no Float16Array) ---

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round-to-nearest-even float32 -> float16 bit pattern; overflow becomes Inf, NaN stays NaN. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export function toFloat16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = float32ToFloat16Bits(data[i]);
  return out;
}

let f16Table: Float32Array | undefined;

/** Widens through a 65,536-entry table: the model load decodes millions of halves, and this is ~10x the per-value formula. */
export function fromFloat16(bits: Uint16Array): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = float16BitsToFloat32(h);
  }
  const table = f16Table;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** Any stored float tensor as float32 values (F16 widened exactly). */
export function tensorToFloat32(t: SafeTensor, name = 'tensor'): Float32Array {
  if (t.dtype === 'F32') return t.data as Float32Array;
  if (t.dtype === 'F16') return fromFloat16(t.data as Uint16Array);
  throw new VlmError(`safetensors: ${name} is ${t.dtype}, expected a float tensor`);
}
