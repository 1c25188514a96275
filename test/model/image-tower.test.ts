import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preprocessBatch } from '../../src/image/preprocess.js';
import type { RgbImage } from '../../src/image/types.js';
import { loadImageTower, parseTap, parseTowerId, TOWER_ENDPOINTS, type ImageTower } from '../../src/model/image-tower.js';
import { loadNsfwjsModel } from '../../src/model/nsfwjs-loader.js';
import { tf } from '../../src/model/tf.js';

/** A left-right asymmetric test card: horizontal ramp in red, stripes in green, a block in the left third. */
function testCard(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = (y * w + x) * 3;
      data[k] = Math.round((255 * x) / (w - 1));
      data[k + 1] = (Math.floor(y / 8) % 2) * 200;
      data[k + 2] = x < w / 3 && y > h / 4 && y < (3 * h) / 4 ? 230 : 20;
    }
  }
  return { width: w, height: h, data };
}

async function input(tower: ImageTower, flip = false): Promise<tf.Tensor4D> {
  const s = tower.inputSize;
  const px = await preprocessBatch([testCard(160, 120)], { ...tower.preprocess, flip });
  return tf.tensor4d(px, [1, s, s, 3]);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('mobilenet_v2 loads fast and gives deterministic features of the documented shapes', async () => {
  const t0 = performance.now();
  const tower = await loadImageTower('mobilenet_v2');
  const loadMs = performance.now() - t0;
  // nsfwjs' own loader needs 7+ s for this model; ours ~0.3 s idle. Generous bound for a busy machine.
  assert.ok(loadMs < 5000, `load took ${loadMs.toFixed(0)} ms`);
  assert.equal(tower.inputSize, 224);
  assert.deepEqual(tower.preprocess, { width: 224, height: 224, resize: 'squash', scale: 1 / 255, layout: 'nhwc' });
  const x = await input(tower);
  const f1 = await tower.features(x, tower.taps);
  const f2 = await tower.features(x, tower.taps);
  for (const tap of tower.taps) {
    const { endpoint, pooling } = parseTap(tap);
    const [h, w, c] = TOWER_ENDPOINTS.mobilenet_v2[endpoint].shape;
    assert.equal(f1[tap].length, 1);
    assert.equal(f1[tap][0].length, pooling === 'map' ? h * w * c : c, tap);
    assert.equal(tower.tapDim(tap), f1[tap][0].length);
    assert.ok(f1[tap][0].every(Number.isFinite), `${tap} has non-finite values`);
    assert.deepEqual(f1[tap][0], f2[tap][0], `${tap} not deterministic`);
  }
  // gap / gmp are the mean / max of the spatial map; ReLU6 outputs lie in [0, 6].
  const map = f1.final_map[0], gap = f1.final_gap[0], gmp = f1.final_gmp[0];
  for (const c of [0, 17, 1279]) {
    let sum = 0, max = -Infinity;
    for (let p = 0; p < 49; p++) { sum += map[p * 1280 + c]; max = Math.max(max, map[p * 1280 + c]); }
    assert.ok(Math.abs(sum / 49 - gap[c]) < 1e-4);
    assert.equal(gmp[c], max);
  }
  assert.ok(map.every((v) => v >= 0 && v <= 6));
  assert.ok(gap.some((v) => v > 0), 'all-zero features');

  // Mirroring the input changes the features, but keeps them close (same content).
  const xf = await input(tower, true);
  const ff = await tower.features(xf, ['final_gap']);
  const d = maxAbsDiff(f1.final_gap[0], ff.final_gap[0]);
  assert.ok(d > 1e-3, 'flip did not change the features');
  // Batching gives the same rows as one image at a time.
  const both = await tower.features(tf.concat([x, xf]) as tf.Tensor4D, ['final_gap']);
  assert.ok(maxAbsDiff(both.final_gap[0], f1.final_gap[0]) < 1e-4);
  assert.ok(maxAbsDiff(both.final_gap[1], ff.final_gap[0]) < 1e-4);
  x.dispose();
  xf.dispose();
  tower.dispose();
});

test('BatchNorm folding keeps the outputs of the Keras model', async () => {
  const plain = await loadNsfwjsModel('mobilenet_v2', { fold: false });
  const folded = await loadNsfwjsModel('mobilenet_v2');
  assert.ok(plain.kind === 'layers' && folded.kind === 'layers');
  assert.ok(folded.model.layers.length < plain.model.layers.length - 40, 'nothing was folded');
  const x = tf.randomUniform([2, 224, 224, 3], 0, 1, 'float32', 7);
  const a = (await (plain.model.predict(x) as tf.Tensor).data()) as Float32Array;
  const b = (await (folded.model.predict(x) as tf.Tensor).data()) as Float32Array;
  assert.equal(a.length, 10);
  assert.ok(maxAbsDiff(a, b) < 1e-4, `class probabilities differ by ${maxAbsDiff(a, b)}`);
  x.dispose();
  plain.model.dispose();
  folded.model.dispose();
});

test('mobilenet_v2_mid (graph model) exposes its endpoints with the documented shapes', async () => {
  const tower = await loadImageTower('mobilenet_v2_mid');
  const x = await input(tower);
  const acts = tower.endpointTensors(x, Object.keys(tower.endpoints));
  Object.values(tower.endpoints).forEach((ep, i) => assert.deepEqual(acts[i].shape, [1, ...ep.shape]));
  tf.dispose(acts);
  const f = await tower.features(x);
  assert.deepEqual(Object.keys(f).sort(), ['b10_gap', 'b13_gap', 'b16_gap', 'b3_gap', 'b6_gap', 'final_gap']);
  assert.equal(f.final_gap[0].length, 1792);
  x.dispose();
  tower.dispose();
});

test('tower ids and tap names are validated', () => {
  assert.deepEqual(parseTowerId('inception_v3-signed'), { name: 'inception_v3', inputRange: 'signed' });
  assert.throws(() => parseTowerId('mobilenet_v2_mid-signed'), /unknown image tower/);
  assert.throws(() => parseTowerId('resnet50'), /unknown image tower/);
  assert.deepEqual(parseTap('final_gmp'), { endpoint: 'final', pooling: 'gmp' });
  assert.throws(() => parseTap('final_sum'), /bad tap/);
});
