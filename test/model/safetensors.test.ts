import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensors,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  readSafetensors,
  toFloat16,
  writeSafetensors,
  type SafeTensor,
} from '../../src/model/safetensors.js';
import { createRng } from '../../src/util/rng.js';

function randomF32(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng() - 0.5) * 10 ** Math.floor(rng() * 8 - 4);
  return a;
}

test('safetensors round trip is bit-exact for F32, F16 and I32, with metadata', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-st-'));
  const special = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1e-45, 3.4e38, -1.5]);
  const tensors = new Map<string, SafeTensor>([
    ['a.weight', { dtype: 'F32', shape: [3, 5], data: randomF32(15, 1) }],
    ['special', { dtype: 'F32', shape: [8], data: special }],
    ['half', { dtype: 'F16', shape: [2, 7], data: toFloat16(randomF32(14, 2)) }],
    ['ids', { dtype: 'I32', shape: [4], data: new Int32Array([0, -1, 2147483647, -2147483648]) }],
    ['empty', { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) }],
  ]);
  const path = join(dir, 'model.safetensors');
  writeSafetensors(path, tensors, { format: 'pt', note: 'ünïcode ok' });
  const back = readSafetensors(path);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'ünïcode ok' });
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  for (const [name, t] of tensors) {
    const r = back.tensors.get(name)!;
    assert.equal(r.dtype, t.dtype, name);
    assert.deepEqual(r.shape, t.shape, name);
    assert.deepEqual(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), name);
  }
  // Re-encoding what was read reproduces the file byte for byte.
  assert.deepEqual(encodeSafetensors(back.tensors, back.metadata), readFileSync(path));
  // Header is 8-byte aligned like the reference writer's.
  const n = Number(readFileSync(path).readBigUInt64LE(0));
  assert.equal(n % 8, 0);
});

test('safetensors reads a file laid out by the reference writer', () => {
  // Hand-built: header {"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} + two floats.
  const header = Buffer.from('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  const data = Buffer.from(new Float32Array([1.5, -2]).buffer);
  const file = decodeSafetensors(Buffer.concat([len, header, data]));
  assert.deepEqual([...(file.tensors.get('x')!.data as Float32Array)], [1.5, -2]);
});

test('safetensors refuses corrupt files and mismatched tensors with clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-st-'));
  const bad = join(dir, 'bad.safetensors');
  writeFileSync(bad, Buffer.from('hello world, not weights'));
  assert.throws(() => readSafetensors(bad), /not a valid safetensors file/);
  const good = encodeSafetensors({ x: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
  assert.throws(() => decodeSafetensors(good.subarray(0, good.length - 4)), /bad data_offsets/);
  assert.throws(() => encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(4) } }), /shape \[3\] needs 3/);
  assert.throws(() => encodeSafetensors({ x: { dtype: 'F16', shape: [1], data: new Float32Array(1) } }), /needs a Uint16Array/);
});

test('float16 conversion matches IEEE half precision on known values', () => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00],
    [2 ** -24, 0x0001], [2 ** -14, 0x0400], [0.1, 0x2e66], [1 / 3, 0x3555], [Infinity, 0x7c00],
    [1 + 2 ** -11, 0x3c00], // tie -> even
    [1 + 3 * 2 ** -11, 0x3c02], // tie -> even (up)
  ];
  for (const [v, bits] of cases) assert.equal(float32ToFloat16Bits(v), bits, `f16(${v})`);
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  // Every finite half value survives half -> float -> half.
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaN payloads
    assert.equal(float32ToFloat16Bits(float16BitsToFloat32(h)), h);
  }
});
