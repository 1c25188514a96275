import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy, argmax, confusionMatrix, formatMeanStd, meanPerClassAccuracy, meanStd, perClassAccuracy, topKAccuracy,
} from '../../src/eval/classification-metrics.js';

const PRED = [0, 1, 1, 2, 2, 0];
const TRUE = [0, 1, 2, 2, 2, 1];

test('accuracy, confusion matrix and per-class accuracy on a hand-computed case', () => {
  assert.equal(accuracy(PRED, TRUE), 4 / 6);
  assert.deepEqual(confusionMatrix(PRED, TRUE, 4), [
    [1, 0, 0, 0],
    [1, 1, 0, 0],
    [0, 1, 2, 0],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(perClassAccuracy(PRED, TRUE, 4), [1, 0.5, 2 / 3, null]);
  assert.ok(Math.abs(meanPerClassAccuracy(PRED, TRUE, 4) - (1 + 0.5 + 2 / 3) / 3) < 1e-12);
});

test('top-k accuracy breaks ties by class index, like argmax', () => {
  const scores = [
    [0.1, 0.7, 0.2], // true 2: second -> top-2 yes, top-1 no
    [0.5, 0.5, 0.0], // true 1: tied with class 0, which comes first -> second
    [0.0, 0.1, 0.9], // true 2: first
    [0.3, 0.3, 0.3], // true 0: three-way tie, class 0 first -> first
  ];
  const truth = [2, 1, 2, 0];
  assert.equal(topKAccuracy(scores, truth, 1), 2 / 4);
  assert.equal(topKAccuracy(scores, truth, 2), 1);
  assert.deepEqual(scores.map(argmax), [1, 0, 2, 0]);
  assert.equal(accuracy(scores.map(argmax), truth), topKAccuracy(scores, truth, 1));
});

test('mean ± sample standard deviation', () => {
  const m = meanStd([1, 2, 3, 4]);
  assert.equal(m.mean, 2.5);
  assert.ok(Math.abs(m.std - Math.sqrt(5 / 3)) < 1e-12);
  assert.equal(meanStd([7]).std, 0);
  assert.equal(formatMeanStd(m, 2), '2.50 ± 1.29');
});

test('mismatched or out-of-range input is refused', () => {
  assert.throws(() => accuracy([1], [1, 2]), /1 predictions for 2 labels/);
  assert.throws(() => confusionMatrix([3], [0], 3), /outside 0..2/);
  assert.throws(() => meanStd([]), /no values/);
});
