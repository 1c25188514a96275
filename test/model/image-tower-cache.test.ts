import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeHalf, encodeHalf, fromHalf, toHalf } from '../../src/model/feature-cache-float16.js';
import {
  featurePaths,
  listFeatureCaches,
  openChunkedFeatureWriter,
  readFeatureCache,
  selectRows,
  writeFeatureCache,
} from '../../src/model/feature-cache.js';

function withTempCache(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-feat-'));
  const old = process.env.VLM_CACHE;
  process.env.VLM_CACHE = dir;
  try {
    fn(dir);
  } finally {
    if (old === undefined) delete process.env.VLM_CACHE;
    else process.env.VLM_CACHE = old;
    rmSync(dir, { recursive: true, force: true });
  }
}

test('float16: exact values, rounding to nearest even, range ends', () => {
  // Known bit patterns of IEEE half.
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(-2), 0xc000);
  assert.equal(toHalf(65504), 0x7bff);
  assert.equal(toHalf(1e6), 0x7c00);
  assert.equal(toHalf(2 ** -24), 0x0001);
  assert.equal(toHalf(2 ** -26), 0);
  assert.equal(toHalf(0.1), 0x2e66);
  assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00);
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02);
  // Every half value survives a round trip through float32 exactly.
  for (let h = 0; h < 0x7c00; h += 7) assert.equal(toHalf(fromHalf(h)), h);
  const x = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
  const y = decodeHalf(encodeHalf(x));
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(y[i] - x[i]) <= Math.abs(x[i]) * 2 ** -11 + 2 ** -25, `${x[i]} -> ${y[i]}`);
});

test('feature cache: write/read round trip (f32 exact, f16 close) and row lookup', () => {
  withTempCache(() => {
    const names = ['a.jpg', 'b.jpg', 'c.jpg'];
    const data = Float32Array.from({ length: 3 * 4 }, (_, i) => i * 0.37 - 1);
    writeFeatureCache({ tower: 't', tap: 'final_gap', dataset: 'flickr8k', dtype: 'f32', shape: [4] }, names, data);
    const m = readFeatureCache('t', 'final_gap');
    assert.deepEqual(m.names, names);
    assert.equal(m.dim, 4);
    assert.deepEqual(m.data, data);
    assert.deepEqual(m.row('b.jpg'), data.subarray(4, 8));
    assert.equal(m.row('zzz.jpg'), undefined);
    assert.deepEqual(selectRows(m, ['c.jpg', 'a.jpg']), Float32Array.from([...data.subarray(8), ...data.subarray(0, 4)]));
    assert.throws(() => readFeatureCache('t', 'final_gap', { flip: true }), /no cached features/);

    writeFeatureCache({ tower: 't', tap: 'final_map', dataset: 'gtsrb', flip: true, dtype: 'f16', shape: [1, 2, 2] }, names, data);
    const h = readFeatureCache('t', 'final_map', { dataset: 'gtsrb', flip: true });
    assert.deepEqual(h.index.shape, [1, 2, 2]);
    for (let i = 0; i < data.length; i++) assert.ok(Math.abs(h.data[i] - data[i]) < 2e-3);
    assert.deepEqual(
      listFeatureCaches().map((c) => `${c.tower}/${c.tap}/${c.dataset}.${c.variant}:${c.rows}x${c.dim}:${c.bytes}`).sort(),
      ['t/final_gap/flickr8k.orig:3x4:48', 't/final_map/gtsrb.flip:3x4:24'],
    );
  });
});

test('chunked writer resumes after an interruption and refuses mixed settings', () => {
  withTempCache(() => {
    const names = Array.from({ length: 10 }, (_, i) => `img${i}.jpg`);
    const spec = { tower: 't', tap: 'b13_gap', dataset: 'medpix', dtype: 'f32' as const, shape: [3] };
    const rows = (first: number, n: number) => Float32Array.from({ length: n * 3 }, (_, i) => first * 3 + i);
    // First run writes two chunks, then "dies".
    const w1 = openChunkedFeatureWriter(spec, names);
    assert.equal(w1.complete, false);
    w1.writeChunk(0, rows(0, 4));
    w1.writeChunk(4, rows(4, 4));
    assert.throws(() => w1.finish(), /8 of 10 rows/);
    // A run with other images must not reuse those chunks.
    assert.throws(() => openChunkedFeatureWriter(spec, names.slice(1)), /other images or settings/);
    // Second run sees what is done and adds the rest.
    const w2 = openChunkedFeatureWriter(spec, names);
    assert.deepEqual([0, 4, 8].map((f) => w2.hasChunk(f)), [true, true, false]);
    w2.writeChunk(8, rows(8, 2));
    w2.finish();
    const m = readFeatureCache('t', 'b13_gap', { dataset: 'medpix' });
    assert.deepEqual(m.data, rows(0, 10));
    const p = featurePaths('t', 'b13_gap', { dataset: 'medpix' });
    assert.ok(!readdirSync(p.dir).some((f) => f.includes('chunks')), 'chunk folder left behind');
    assert.equal(openChunkedFeatureWriter(spec, names).complete, true);
  });
});
