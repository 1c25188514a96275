/**
 * Finer dense heatmaps: the tower's maps at input sizes other than 224 (the flexible ONNX graph), multi-scale
 * averaging and smoothing, each on a case whose answer is known.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { explainerFor, heatmap, peak, smooth } from '../../src/apps/explain/index.js';
import { boxPool } from '../../src/apps/explain/box-pool.js';
import { openMapTower } from '../../src/apps/explain/map-tower.js';
import { loadEncoder } from '../../src/encoders/load.js';
import { preprocessBatch } from '../../src/image/preprocess.js';
import { loadOnnxImageTower } from '../../src/model/image-tower-onnx.js';
import { towerPreprocessSpec } from '../../src/model/image-tower.js';
import { defaultModelDir, repoRoot } from '../../src/util/paths.js';

const HAVE_MODEL = existsSync(join(defaultModelDir, 'model.safetensors'));
const PHOTO = join(repoRoot, 'assets', 'demo', 'dog-pekingese.jpg');

test('smooth: a broad bump beats a taller one-cell spike, a constant map stays constant, sigma 0 changes nothing', () => {
  const v = new Float32Array(100);
  v[1 * 10 + 1] = 1; // spike
  for (let r = 5; r < 9; r++) for (let c = 5; c < 9; c++) v[r * 10 + c] = 0.6; // bump
  const h = heatmap(10, 10, v);
  assert.equal(peak(h, 10, 10).x, 1.5);
  const s = smooth(h, 1);
  const p = peak(s, 10, 10);
  assert.ok(p.x > 5 && p.x < 9 && p.y > 5 && p.y < 9, `smoothed peak ${JSON.stringify(p)}`);
  assert.ok(smooth(heatmap(4, 6, Array(24).fill(0.3)), 1.5).values.every((x) => Math.abs(x - 0.3) < 1e-6));
  assert.deepEqual(Array.from(smooth(h, 0).values), Array.from(v));
});

test('boxPool: each location gets the mean of its window, cells outside the map not counted; pool 1 is the identity', () => {
  // 3 x 4 grid, 2 channels: channel 0 = row * 4 + col, channel 1 = 1
  const feats = Array.from({ length: 12 }, (_, i) => Float32Array.of(i, 1));
  const p = boxPool(feats, 3, 4, 3);
  // centre (1, 1): mean of rows 0..2, cols 0..2 = mean of 0,1,2,4,5,6,8,9,10
  assert.ok(Math.abs(p[1 * 4 + 1][0] - 5) < 1e-6);
  // corner (0, 0): only rows 0..1, cols 0..1 exist = mean of 0,1,4,5
  assert.ok(Math.abs(p[0][0] - 2.5) < 1e-6);
  assert.ok(p.every((v) => Math.abs(v[1] - 1) < 1e-6), 'a constant channel stays constant');
  assert.equal(boxPool(feats, 3, 4, 1), feats);
});

test('map tower: at 224 it matches the fixed-size ONNX tower, at 448 its maps are twice as fine', { skip: process.env.VLM_TOWER_BACKEND === 'tfjs' ? 'onnxruntime only' : false }, async () => {
  const taps = ['b13_map', 'final_map'];
  const flex = await openMapTower('mobilenet_v2_mid', taps);
  const fixed = await loadOnnxImageTower('mobilenet_v2_mid', taps);
  try {
    assert.equal(flex.fixedSize, undefined);
    const m224 = await flex.maps(PHOTO, 224);
    assert.deepEqual([m224.b13_map.h, m224.b13_map.w, m224.b13_map.c, m224.final_map.h], [14, 14, 816, 7]);
    const ref = await fixed.features(await preprocessBatch([PHOTO], towerPreprocessSpec('mobilenet_v2_mid')), 1);
    let maxDiff = 0;
    for (const tap of taps) for (let i = 0; i < ref[tap][0].length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[tap][0][i] - m224[tap].data[i]));
    assert.ok(maxDiff < 1e-4, `max difference ${maxDiff}`);
    const m448 = await flex.maps(PHOTO, 448);
    assert.deepEqual([m448.b13_map.h, m448.b13_map.w, m448.final_map.h, m448.final_map.w], [28, 28, 14, 14]);
    const wide = await flex.maps(PHOTO, 320);
    assert.deepEqual([wide.b13_map.h, wide.final_map.h], [20, 10]);
  } finally {
    await flex.dispose();
    await fixed.dispose();
  }
});

test('dense: a small photo pasted on a large grey canvas is found at every scale and with the defaults', { skip: HAVE_MODEL ? false : 'needs models/default' }, async () => {
  const encoder = await loadEncoder();
  const dense = await explainerFor(encoder);
  assert.ok(dense);
  try {
    const S = 448, P = 96;
    const photo = await sharp(PHOTO).resize(P, P, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const [query] = await encoder.embedImages([{ width: P, height: P, data: new Uint8Array(photo) }]);
    for (const [x, y] of [[32, 300], [320, 48]]) {
      const data = new Uint8Array(S * S * 3).fill(128);
      for (let r = 0; r < P; r++) data.set(photo.subarray(r * P * 3, (r + 1) * P * 3), ((y + r) * S + x) * 3);
      const img = { width: S, height: S, data };
      for (const scales of [[224], [448], undefined]) {
        const { map } = await dense.explain(img, query, scales ? { scales } : {});
        const p = peak(map, S, S);
        assert.ok(p.x >= x && p.x < x + P && p.y >= y && p.y < y + P, `scales ${scales ?? 'default'}: peak ${JSON.stringify(p)} outside the photo at ${x},${y}`);
        if (scales?.[0] === 448) assert.equal(map.rows, 28);
      }
    }
    await assert.rejects(dense.explain(whiteish(), query, { scales: [100] }), /multiples of 32/);
  } finally {
    await dense.dispose();
    await encoder.dispose();
  }
});

function whiteish() {
  return { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(230) };
}

test('dense: the image head on onnxruntime and on tfjs give the same location embeddings', { skip: HAVE_MODEL ? false : 'needs models/default' }, async () => {
  const { denseExplainer, loadDenseExplainer } = await import('../../src/apps/explain/dense.js');
  const { loadVlmModel } = await import('../../src/model/checkpoint.js');
  const fast = await loadDenseExplainer(defaultModelDir);
  const slow = await denseExplainer(await loadVlmModel(defaultModelDir));
  try {
    const a = await fast.locationEmbeddings(PHOTO, 320);
    const b = await slow.locationEmbeddings(PHOTO, 320);
    assert.deepEqual([a.rows, a.cols, a.embeddings.length], [20, 20, 400]);
    let maxDiff = 0;
    a.embeddings.forEach((e, i) => e.forEach((x, j) => (maxDiff = Math.max(maxDiff, Math.abs(x - b.embeddings[i][j])))));
    assert.ok(maxDiff < 1e-4, `max difference ${maxDiff}`);
  } finally {
    await fast.dispose();
    await slow.dispose();
  }
});
