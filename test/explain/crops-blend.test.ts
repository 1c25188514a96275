/** Crop similarity and map blending on synthetic cases whose answer is known. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blendMaps, cropMap, cropRect, heatmap, peak } from '../../src/apps/explain/index.js';
import { l2normalize, type Encoder } from '../../src/encoders/encoder.js';
import { preprocessBatch } from '../../src/image/preprocess.js';
import { whiteImage } from './region-encoder.js';

/** A real Encoder whose answer is known: an image matches "red" by the fraction of its view that is red. */
const redEncoder: Encoder = {
  id: 'test:red',
  dim: 2,
  async embedImages(inputs) {
    const S = 32;
    const px = await preprocessBatch(inputs, { width: S, height: S, resize: 'squash', scale: 1 / 255, layout: 'nhwc' });
    return inputs.map((_, i) => {
      let red = 0;
      for (let p = 0; p < S * S; p++) {
        const o = (i * S * S + p) * 3;
        if (px[o] > 0.6 && px[o + 1] < 0.4 && px[o + 2] < 0.4) red++;
      }
      const f = red / (S * S);
      return l2normalize(Float32Array.of(f, 1 - f + 0.05));
    });
  },
  async embedTexts(texts) {
    return texts.map((t) => l2normalize(t === 'red' ? Float32Array.of(1, 0) : Float32Array.of(0, 1)));
  },
  dispose() {},
};

function withRedSquare(w: number, h: number, x: number, y: number, side: number) {
  const img = whiteImage(w, h);
  for (let r = y; r < y + side; r++) for (let c = x; c < x + side; c++) img.data.set([220, 20, 20], (r * w + c) * 3);
  return img;
}

test('cropRect copies exactly the rectangle', () => {
  const img = { width: 4, height: 3, data: Uint8Array.from({ length: 36 }, (_, i) => i) };
  const c = cropRect(img, { x0: 1, y0: 1, x1: 3, y1: 3 });
  assert.deepEqual([c.width, c.height], [2, 2]);
  // pixel (1, 1) of the image is index (1 * 4 + 1) * 3 = 15
  assert.deepEqual(Array.from(c.data.subarray(0, 3)), [15, 16, 17]);
  assert.deepEqual(Array.from(c.data.subarray(9, 12)), [(2 * 4 + 2) * 3, (2 * 4 + 2) * 3 + 1, (2 * 4 + 2) * 3 + 2]);
});

test('crop similarity peaks on a small red square, wherever it is, and counts its encoder calls', async () => {
  const [t] = await redEncoder.embedTexts(['red']);
  for (const [x, y] of [[10, 12], [150, 90], [100, 20]]) {
    const img = withRedSquare(192, 144, x, y, 24);
    const r = await cropMap(redEncoder, img, t, { cells: 6, span: 2 });
    assert.equal(r.evaluations, 25);
    const p = peak(r.map, 192, 144);
    // the peak cell's centre lies within one cell (32 x 24 px) of the square
    assert.ok(p.x > x - 32 && p.x < x + 24 + 32 && p.y > y - 24 && p.y < y + 24 + 24, `peak ${JSON.stringify(p)} far from the square at ${x},${y}`);
  }
  await assert.rejects(cropMap(redEncoder, whiteImage(64, 64), t, { cells: 4, span: 4 }), RangeError);
});

test('blendMaps: z-scores first, so a map in large units does not drown a fine one; agreement wins', () => {
  // coarse 2 x 2 map in large units favours the top-left quadrant; fine 4 x 4 map in small units has its peak
  // at (1, 1), inside that quadrant, and a near-tie at (3, 3)
  const coarse = heatmap(2, 2, [1000, 0, 0, 400]);
  const fine = heatmap(4, 4, Array(16).fill(0));
  fine.values[1 * 4 + 1] = 0.011;
  fine.values[3 * 4 + 3] = 0.01;
  const b = blendMaps([{ map: fine, weight: 1 }, { map: coarse, weight: 0.5 }]);
  assert.deepEqual([b.rows, b.cols], [4, 4]);
  assert.deepEqual(peak(b, 4, 4), { x: 1.5, y: 1.5 });
  // a map alone keeps its own argmax; scaling a map's units changes nothing
  const again = blendMaps([{ map: fine, weight: 1 }, { map: heatmap(2, 2, [1, 0, 0, 0.4]), weight: 0.5 }]);
  assert.ok(again.values.every((v, i) => Math.abs(v - b.values[i]) < 1e-5));
  assert.throws(() => blendMaps([]), RangeError);
});
