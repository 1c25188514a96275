import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CROP_RATIO, CROP_SCALE, cropBox, cropRgb, cropVariant } from '../../src/model/feature-cache-crops.js';
import { hasFeatureCache, isFeatureVariant, listFeatureCaches, openChunkedFeatureWriter, readFeatureCache, writeFeatureCache } from '../../src/model/feature-cache.js';

function withTempCache(fn: () => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-crops-'));
  const old = process.env.VLM_CACHE;
  process.env.VLM_CACHE = dir;
  try {
    fn();
  } finally {
    if (old === undefined) delete process.env.VLM_CACHE;
    else process.env.VLM_CACHE = old;
    rmSync(dir, { recursive: true, force: true });
  }
}

test('crop boxes: reproducible per (name, view), inside the image, scale and aspect in range, both mirror states', () => {
  const W = 500;
  const H = 375;
  assert.deepEqual(cropBox('a.jpg', 0, W, H), cropBox('a.jpg', 0, W, H));
  assert.notDeepEqual(cropBox('a.jpg', 0, W, H), cropBox('a.jpg', 1, W, H));
  assert.notDeepEqual(cropBox('a.jpg', 0, W, H), cropBox('b.jpg', 0, W, H));
  let flips = 0;
  const n = 400;
  for (let i = 0; i < n; i++) {
    const b = cropBox(`img${i}.jpg`, i % 3, W, H);
    assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= W && b.y + b.height <= H, JSON.stringify(b));
    // Rounding to whole pixels moves scale and aspect by well under 1 %.
    const scale = (b.width * b.height) / (W * H);
    assert.ok(scale > CROP_SCALE[0] - 0.01 && scale < CROP_SCALE[1] + 0.01, `scale ${scale}`);
    const ratio = b.width / b.height;
    assert.ok(ratio > CROP_RATIO[0] * 0.99 && ratio < CROP_RATIO[1] * 1.01, `ratio ${ratio}`);
    flips += b.flip ? 1 : 0;
  }
  assert.ok(flips > n * 0.35 && flips < n * 0.65, `mirrored ${flips}/${n}`);
  // A strip no (scale, ratio) pair fits: the centred fallback still lies inside it.
  const s = cropBox('strip.png', 0, 1000, 10);
  assert.ok(s.x >= 0 && s.y >= 0 && s.x + s.width <= 1000 && s.y + s.height <= 10 && s.width >= 1 && s.height >= 1, JSON.stringify(s));
  assert.equal(cropVariant(1), 'crop1');
});

test('cropRgb copies the box, mirrored on request, and refuses boxes outside the image', () => {
  // 3x2 image, pixel (x, y) = [10x + y, 100 + x, 200 + y].
  const img = { width: 3, height: 2, data: new Uint8Array(18) };
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) img.data.set([10 * x + y, 100 + x, 200 + y], (y * 3 + x) * 3);
  const c = cropRgb(img, { x: 1, y: 0, width: 2, height: 2, flip: false });
  assert.deepEqual({ w: c.width, h: c.height }, { w: 2, h: 2 });
  assert.deepEqual([...c.data], [10, 101, 200, 20, 102, 200, 11, 101, 201, 21, 102, 201]);
  const m = cropRgb(img, { x: 1, y: 1, width: 2, height: 1, flip: true });
  assert.deepEqual([...m.data], [21, 102, 201, 11, 101, 201]);
  assert.throws(() => cropRgb(img, { x: 2, y: 0, width: 2, height: 1, flip: false }), RangeError);
});

test('feature cache: crop variants are their own files, listed, and written whole or in chunks', () => {
  withTempCache(() => {
    assert.ok(isFeatureVariant('crop0') && isFeatureVariant('crop12') && !isFeatureVariant('crop') && !isFeatureVariant('crop01'));
    const names = ['a.jpg', 'b.jpg'];
    const orig = Float32Array.from([1, 2, 3, 4]);
    const crop = Float32Array.from([5, 6, 7, 8]);
    const spec = { tower: 't', tap: 'final_gap', dataset: 'flickr8k', dtype: 'f32' as const, shape: [2] };
    writeFeatureCache(spec, names, orig);
    writeFeatureCache({ ...spec, variant: 'crop0' }, names, crop);
    assert.deepEqual(readFeatureCache('t', 'final_gap').data, orig);
    const c = readFeatureCache('t', 'final_gap', { variant: 'crop0' });
    assert.equal(c.index.variant, 'crop0');
    assert.deepEqual(c.row('b.jpg'), Float32Array.from([7, 8]));
    assert.equal(hasFeatureCache('t', 'final_gap', { variant: 'crop1' }), false);
    assert.throws(() => readFeatureCache('t', 'final_gap', { variant: 'crop1' }), /--crops 2/);

    const w = openChunkedFeatureWriter({ ...spec, variant: 'crop1', dtype: 'f16' }, names);
    w.writeChunk(1, Float32Array.from([0.5, -1]));
    w.writeChunk(0, Float32Array.from([2, 0.25]));
    w.finish();
    assert.deepEqual(readFeatureCache('t', 'final_gap', { variant: 'crop1' }).data, Float32Array.from([2, 0.25, 0.5, -1]));
    assert.deepEqual(listFeatureCaches().map((x) => x.variant).sort(), ['crop0', 'crop1', 'orig']);
  });
});
