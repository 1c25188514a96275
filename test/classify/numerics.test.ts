import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedCalibrationError, fitTemperature, meanNll, MIN_TEMPERATURE, MAX_TEMPERATURE, softmaxRows } from '../../src/apps/classify/calibrate.js';
import { minimizeLbfgs } from '../../src/apps/classify/lbfgs.js';
import { fitLogistic, logisticLogits } from '../../src/apps/classify/logistic.js';
import { stratifiedFolds } from '../../src/apps/classify/folds.js';
import { matFromJson, matToJson, mulABt, normalizeRows } from '../../src/apps/classify/matrix.js';
import { parseLabelsText } from '../../src/apps/classify/label-file.js';
import { createRng } from '../../src/util/rng.js';

test('temperature: two classes, logits (1, 0) everywhere and 75% class 0 -> T = 1 / ln 3', () => {
  const n = 400;
  const logits = new Float64Array(n * 2);
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    logits[i * 2] = 1;
    truth.push(i % 4 === 3 ? 1 : 0);
  }
  const t = fitTemperature(logits, 2, truth);
  assert.ok(Math.abs(t - 1 / Math.log(3)) < 1e-6, `T = ${t}`);
  // The fitted temperature is the NLL minimum.
  for (const f of [0.9, 1.1]) assert.ok(meanNll(logits, 2, truth, t * f) > meanNll(logits, 2, truth, t));
  const p = softmaxRows(logits, 2, t);
  assert.ok(Math.abs(p[0] - 0.75) < 1e-6);
});

test('temperature: recovers the temperature that generated the labels', () => {
  const rng = createRng(3);
  const n = 4000, c = 5, trueT = 0.07;
  const logits = new Float64Array(n * c);
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) logits[i * c + j] = rng() * 0.4; // cosine-like scores
    const p = softmaxRows(logits.subarray(i * c, (i + 1) * c), c, trueT);
    let u = rng(), k = 0;
    while (k < c - 1 && (u -= p[k]) > 0) k++;
    truth.push(k);
  }
  const t = fitTemperature(logits, c, truth);
  assert.ok(Math.abs(t - trueT) / trueT < 0.1, `fitted ${t}, true ${trueT}`);
  // Calibrated probabilities are nearly calibrated; a 10x too sharp softmax is not.
  const good = expectedCalibrationError(softmaxRows(logits, c, t), c, truth);
  const sharp = expectedCalibrationError(softmaxRows(logits, c, t / 10), c, truth);
  assert.ok(good < 0.03 && sharp > 0.1, `ECE ${good} vs ${sharp}`);
});

test('temperature: extreme cases stay in range', () => {
  const perfect = Float64Array.from([1, 0, 0, 1]);
  assert.equal(fitTemperature(perfect, 2, [0, 1]), MIN_TEMPERATURE);
  assert.equal(fitTemperature(perfect, 2, [1, 0]), MAX_TEMPERATURE);
  assert.throws(() => fitTemperature(perfect, 2, []), /at least one/);
  assert.throws(() => fitTemperature(perfect, 2, [0, 2]), /outside/);
});

test('L-BFGS finds the minimum of the Rosenbrock function', () => {
  const r = minimizeLbfgs((x, g) => {
    const [a, b] = x;
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  }, Float64Array.from([-1.2, 1]), { maxIter: 500, gradTol: 1e-8, relTol: 0 });
  assert.ok(Math.abs(r.x[0] - 1) < 1e-4 && Math.abs(r.x[1] - 1) < 1e-4, `${r.x}`);
});

test('logistic regression: optimum has zero gradient; a huge lambda returns the prior', () => {
  const rng = createRng(1);
  const n = 30, d = 4, C = 3;
  const X = normalizeRows({ rows: n, cols: d, data: Float32Array.from({ length: n * d }, () => rng() - 0.5) });
  const y = Array.from({ length: n }, (_, i) => i % C);
  const m = fitLogistic(X, y, C, { lambda: 0.01 });
  // Check the stationarity condition by hand: mean (p - onehot) x + lambda W = 0.
  const P = softmaxRows(logisticLogits(m, X), C);
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < d; k++) {
      let g = 0.01 * m.W[c * d + k];
      for (let i = 0; i < n; i++) g += ((P[i * C + c] - (y[i] === c ? 1 : 0)) * X.data[i * d + k]) / n;
      assert.ok(Math.abs(g) < 1e-4, `grad ${g}`);
    }
  }
  const prior = Float64Array.from({ length: C * d }, (_, i) => i / 10);
  const big = fitLogistic(X, y, C, { lambda: 1e6, prior });
  big.W.forEach((w, i) => assert.ok(Math.abs(w - prior[i]) < 1e-3));
});

test('stratified folds spread every class over the folds', () => {
  const labels = [...Array(20).keys()].map((i) => i % 4); // 5 per class
  const fold = stratifiedFolds(labels, 5, 7);
  for (let c = 0; c < 4; c++) {
    const folds = labels.map((l, i) => (l === c ? fold[i] : -1)).filter((f) => f >= 0).sort();
    assert.deepEqual(folds, [0, 1, 2, 3, 4]);
  }
  // One example per class: classes are dealt to different folds.
  assert.deepEqual(stratifiedFolds([0, 1, 2, 3, 4], 5, 1).sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(stratifiedFolds(labels, 5, 7), fold);
});

test('matrices survive the JSON round trip bit for bit', () => {
  const m = { rows: 2, cols: 3, data: Float32Array.from([0.1, -2.5e-8, 3, Math.PI, -0, 1e30]) };
  const back = matFromJson(JSON.parse(JSON.stringify(matToJson(m))), 'm');
  assert.deepEqual(back, m);
  assert.deepEqual(Array.from(mulABt({ rows: 2, cols: 5, data: Float32Array.from([1, 2, 3, 4, 5, 0, 1, 0, 1, 0]) }, { rows: 1, cols: 5, data: Float32Array.from([1, 1, 1, 1, 2]) })), [20, 2]);
  assert.throws(() => matFromJson({ rows: 3, cols: 3, f32: matToJson(m).f32 }, 'bad'), /bytes/);
});

test('label files: synonyms, comments, full-width punctuation, duplicates', () => {
  const specs = parseLabelsText('# traffic\nstop sign: stop, halt sign\n\nyield\n限速：限速标志，速度限制\n');
  assert.deepEqual(specs, [
    { label: 'stop sign', synonyms: ['stop', 'halt sign'] },
    { label: 'yield', synonyms: [] },
    { label: '限速', synonyms: ['限速标志', '速度限制'] },
  ]);
  assert.throws(() => parseLabelsText('a\nb\na'), /given twice/);
  assert.throws(() => parseLabelsText(': x'), /missing/);
});
