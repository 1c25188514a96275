import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flipHorizontal, loadImageTower } from '../../src/model/image-tower.js';
import { flipNhwc, loadOnnxImageTower, onnxTowerPath } from '../../src/model/image-tower-onnx.js';
import { tf } from '../../src/model/tf.js';

test('ONNX export of mobilenet_v2 (up to block 13) matches the tfjs tower', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-onnx-'));
  const old = process.env.VLM_CACHE;
  process.env.VLM_CACHE = dir;
  try {
    const taps = ['b13_gap', 'b13_gmp', 'b13_map'];
    const onnxTower = await loadOnnxImageTower('mobilenet_v2', taps);
    assert.ok(onnxTowerPath('mobilenet_v2', taps).startsWith(dir));
    const tower = await loadImageTower('mobilenet_v2');
    const n = 2, s = 224;
    const pixels = Float32Array.from({ length: n * s * s * 3 }, (_, i) => ((i * 7919) % 256) / 255);
    const a = await tower.features(tf.tensor4d(pixels, [n, s, s, 3]), taps);
    const b = await onnxTower.features(pixels, n);
    for (const tap of taps) {
      for (let i = 0; i < n; i++) {
        assert.equal(b[tap][i].length, tower.tapDim(tap));
        let d = 0;
        for (let j = 0; j < a[tap][i].length; j++) d = Math.max(d, Math.abs(a[tap][i][j] - b[tap][i][j]));
        assert.ok(d < 1e-3, `${tap}[${i}] differs by ${d}`);
      }
    }
    tower.dispose();
    await onnxTower.dispose();
  } finally {
    if (old === undefined) delete process.env.VLM_CACHE;
    else process.env.VLM_CACHE = old;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flipNhwc mirrors like tf.reverse on the width axis', () => {
  const n = 2, h = 3, w = 5;
  const x = Float32Array.from({ length: n * h * w * 3 }, (_, i) => i);
  const want = flipHorizontal(tf.tensor4d(x, [n, h, w, 3])).dataSync();
  assert.deepEqual(flipNhwc(x, n, h, w), Float32Array.from(want));
});
