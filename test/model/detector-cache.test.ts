import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DETECTION_FEATURE_DIM, openDetectionCacheWriter, readDetectionCache } from '../../src/model/detector-cache.js';
import { VlmError } from '../../src/util/errors.js';

function rows(from: number, n: number): Float32Array {
  const out = new Float32Array(n * DETECTION_FEATURE_DIM);
  for (let i = 0; i < out.length; i++) out[i] = from * 1000 + i / 7;
  return out;
}

test('detection cache: write in chunks, resume after a torn row, read back by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-detcache-'));
  try {
    const images = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'];
    const w1 = openDetectionCacheWriter('centernet', images, { dir });
    assert.equal(w1.done, 0);
    w1.append(rows(0, 2));
    w1.close();

    const partial = readDetectionCache('centernet', dir);
    assert.equal(partial.complete, false);
    assert.deepEqual(partial.images, ['a.jpg', 'b.jpg']);
    assert.equal(partial.row('c.jpg'), undefined);

    // A crash in the middle of a row leaves a few stray bytes: the writer resumes after the last whole row.
    appendFileSync(join(dir, 'features.f32'), Buffer.alloc(10));
    const w2 = openDetectionCacheWriter('centernet', images, { dir });
    assert.equal(w2.done, 2);
    w2.append(rows(2, 3));
    assert.throws(() => w2.append(rows(5, 1)), /exceed/);
    w2.close();
    assert.equal(statSync(join(dir, 'features.f32')).size, 5 * DETECTION_FEATURE_DIM * 4);

    const full = readDetectionCache('centernet', dir);
    assert.equal(full.complete, true);
    assert.equal(full.dim, DETECTION_FEATURE_DIM);
    assert.equal(full.countThreshold, 0.3);
    assert.deepEqual(full.images, images);
    const expected = new Float32Array([...rows(0, 2), ...rows(2, 3)]);
    assert.deepEqual(full.data, expected);
    assert.deepEqual(full.row('d.jpg'), expected.subarray(3 * DETECTION_FEATURE_DIM, 4 * DETECTION_FEATURE_DIM));

    // Another image list must not silently reuse these rows.
    assert.throws(() => openDetectionCacheWriter('centernet', ['x.jpg'], { dir }), (e: unknown) => e instanceof VlmError && /--restart/.test(e.message));
    const w3 = openDetectionCacheWriter('centernet', ['x.jpg'], { dir, restart: true });
    assert.equal(w3.done, 0);
    w3.close();
    assert.equal(readDetectionCache('centernet', dir).images.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reading a missing cache says how to build it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-detcache-'));
  try {
    assert.throws(() => readDetectionCache('centernet', dir), /cache-detections/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
