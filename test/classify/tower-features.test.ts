import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridPool, normaliseTowerRow, parseTowerFeatures, tapLayout, towerFeaturesName } from '../../src/apps/classify/tower-features.js';
import { fitFewShot } from '../../src/apps/classify/fit-fewshot.js';
import { fitInRowSpace } from '../../src/apps/classify/row-space.js';
import { fewShotLogits } from '../../src/apps/classify/fewshot-model.js';
import { normalizeRows, type Mat } from '../../src/apps/classify/matrix.js';
import { fitPrototype } from '../../src/apps/classify/prototype.js';
import { fitRidge } from '../../src/apps/classify/ridge.js';
import { fitTip } from '../../src/apps/classify/tip-adapter.js';
import { UsageError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/rng.js';

test('grid pooling: 2x2 cells of a 4x4 map are the means of its quadrants; 3x3 of 5x5 uses overlapping bounds', () => {
  // 4x4x2 map: channel 0 = row index, channel 1 = column index.
  const m = new Float32Array(4 * 4 * 2);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) m.set([y, x], (y * 4 + x) * 2);
  assert.deepEqual(Array.from(gridPool(m, 4, 4, 2, 2)), [0.5, 0.5, 0.5, 2.5, 2.5, 0.5, 2.5, 2.5]);
  // 5 rows into 3 cells: [0,2), [1,4), [3,5) (floor / ceil bounds), so the middle cell's row mean is 2.
  const m5 = new Float32Array(25).map((_, i) => Math.floor(i / 5));
  const g = gridPool(m5, 5, 5, 1, 3);
  assert.deepEqual([g[0], g[3], g[6]], [0.5, 2, 3.5]);
  assert.deepEqual(Array.from(gridPool(m, 4, 4, 2, 1)), [1.5, 1.5]); // 1x1 = global average
});

test('tower rows: sqrt of the positive part, each cell unit length, taps weighted equally', () => {
  const layouts = [
    { tap: 'a_g2', graphTap: 'a_map', grid: 2, channels: 2 },
    { tap: 'b_gap', graphTap: 'b_gap', grid: 1, channels: 3 },
  ];
  const raw = Float32Array.from([4, 0, -1, 9, 1, 1, 0, 0, 16, 9, 0]);
  const r = normaliseTowerRow(raw, layouts);
  const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
  // Three non-zero cells of tap a (1/8 each squared) and tap b (1/2): 7/8.
  assert.ok(Math.abs(norm(r) ** 2 - 7 / 8) < 1e-6, `row norm ${norm(r)}`);
  // Tap a (4 cells): each cell has norm 1/sqrt(2) * 1/sqrt(4); tap b has norm 1/sqrt(2).
  assert.ok(Math.abs(norm(r.subarray(0, 2)) - 1 / Math.sqrt(8)) < 1e-6);
  assert.equal(r[2], 0); // negative -> 0
  assert.ok(Math.abs(r[3] - 1 / Math.sqrt(8)) < 1e-6); // sqrt(9) alone in its cell
  assert.equal(norm(r.subarray(6, 8)), 0); // an all-zero cell stays zero
  assert.ok(Math.abs(r[8] / r[9] - 4 / 3) < 1e-6); // sqrt(16) : sqrt(9)
});

test('feature specs: grid taps read the map, input side in the name, clear errors', () => {
  const f = parseTowerFeatures('tower@128:b6_g3+b13_g2');
  assert.ok(f);
  assert.equal(f.size, 128);
  assert.ok(f.graphTaps.includes('b6_map') && f.graphTaps.includes('b13_map'));
  assert.equal(towerFeaturesName(f), 'tower@128:b6_g3+b13_g2');
  assert.equal(towerFeaturesName(parseTowerFeatures('tower@224:b13_gap')!), 'tower:b13_gap'); // the default side is left out
  assert.equal(parseTowerFeatures('embedding'), null);
  assert.deepEqual(tapLayout(f.tower, 'b6_g3'), { tap: 'b6_g3', graphTap: 'b6_map', grid: 3, channels: 288 });
  assert.throws(() => parseTowerFeatures('tower:b13_map'), (e: Error) => e instanceof UsageError && /grid pooling/.test(e.message));
  assert.throws(() => parseTowerFeatures('tower:b99_g2'), (e: Error) => e instanceof UsageError && /no endpoint/.test(e.message));
  assert.throws(() => parseTowerFeatures('tower@100:b13_g2'), (e: Error) => e instanceof UsageError && /multiple of 32/.test(e.message));
  assert.throws(() => parseTowerFeatures('b13_g2'), (e: Error) => e instanceof UsageError && /tower\[@side\]/.test(e.message));
});

/** n unit rows in d dims around one random centre per class (wide: d > n). */
function wideSet(n: number, d: number, classes: number, seed: number, centres?: Float32Array[]) {
  const rng = createRng(seed);
  const c = centres ?? Array.from({ length: classes }, () => Float32Array.from({ length: d }, () => rng() - 0.5));
  const y = Array.from({ length: n }, (_, i) => i % classes);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) data[i * d + k] = c[y[i]][k] + 1.5 * (rng() - 0.5);
  return { X: normalizeRows({ rows: n, cols: d, data }), y, centres: c };
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('fitting wide features in the support rows\' span gives the same prototype and Tip-Adapter models', () => {
  const train = wideSet(24, 300, 4, 1);
  const test = wideSet(40, 300, 4, 2, train.centres);
  const d = { X: train.X, y: train.y, classes: 4, zeroShot: null, seed: 0 };
  for (const [method, direct] of [['prototype', fitPrototype], ['tip', fitTip]] as const) {
    const reduced = fitInRowSpace(d, direct);
    assert.equal(reduced.info.row_space, 24, `${method} was fitted in the row space`);
    const full = direct(d);
    const diff = maxDiff(fewShotLogits(reduced.params, test.X), fewShotLogits(full.params, test.X));
    assert.ok(diff < 1e-3, `${method}: logits differ by ${diff}`);
    assert.ok(Math.abs(reduced.temperature - full.temperature) < 1e-3 * full.temperature, `${method}: temperature`);
  }
  assert.equal(fitFewShot('tip-f', d).info.row_space, 24, 'fitFewShot reduces the iterative methods');
  assert.equal(fitFewShot('prototype', d).info.row_space, undefined);
});

test('ridge probe: the dual solution has zero gradient of the penalised squared loss; it learns wide data', () => {
  const train = wideSet(30, 200, 3, 3);
  const lambda = 0.3;
  const fit = fitRidge({ X: train.X, y: train.y, classes: 3, zeroShot: null, seed: 0 }, { lambdas: [lambda] });
  assert.equal(fit.params.method, 'ridge');
  const { W } = fit.params as { W: Mat; b: number[] };
  const logits = fewShotLogits(fit.params, train.X);
  // For the fitted intercept b_c, d/dw_c of the loss: sum_i x_i (w_c.x_i + b_c - t_ic) + lambda w_c = 0.
  for (let c = 0; c < 3; c++) {
    const g = new Float64Array(200);
    for (let i = 0; i < 30; i++) {
      const r = logits[i * 3 + c] - (train.y[i] === c ? 1 : -1);
      for (let k = 0; k < 200; k++) g[k] += r * train.X.data[i * 200 + k];
    }
    for (let k = 0; k < 200; k++) g[k] += lambda * W.data[c * 200 + k];
    assert.ok(Math.max(...g.map(Math.abs)) < 1e-4, `class ${c}: gradient ${Math.max(...g.map(Math.abs))}`);
  }
  const test = wideSet(60, 200, 3, 4, train.centres);
  const cv = fitRidge({ X: train.X, y: train.y, classes: 3, zeroShot: null, seed: 0 });
  const pred = fewShotLogits(cv.params, test.X);
  let ok = 0;
  for (let i = 0; i < 60; i++) {
    const row = Array.from(pred.subarray(i * 3, i * 3 + 3));
    if (row.indexOf(Math.max(...row)) === test.y[i]) ok++;
  }
  assert.ok(ok / 60 >= 0.9, `accuracy ${ok / 60}`);
  assert.ok(typeof cv.info.lambda === 'number' && cv.temperature > 0);
});
