import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iou, nmsPerClass } from '../../src/model/detector-nms.js';

const box = (x1: number, y1: number, x2: number, y2: number, score: number, classId: number) => ({ x1, y1, x2, y2, score, classId });

test('iou of identical, disjoint and half-overlapping boxes', () => {
  assert.equal(iou(box(0, 0, 1, 1, 1, 0), box(0, 0, 1, 1, 1, 0)), 1);
  assert.equal(iou(box(0, 0, 1, 1, 1, 0), box(2, 2, 3, 3, 1, 0)), 0);
  assert.ok(Math.abs(iou(box(0, 0, 2, 1, 1, 0), box(1, 0, 3, 1, 1, 0)) - 1 / 3) < 1e-12);
});

test('nms suppresses overlapping boxes of one class only, keeps the best, honours score floor and cap', () => {
  const rider = box(0.1, 0.1, 0.5, 0.9, 0.8, 0);
  const riderDup = box(0.12, 0.1, 0.5, 0.88, 0.6, 0);
  const bike = box(0.1, 0.4, 0.5, 0.95, 0.7, 1);
  const other = box(0.6, 0.1, 0.9, 0.9, 0.5, 0);
  const weak = box(0.0, 0.0, 0.05, 0.05, 0.1, 0);
  const kept = nmsPerClass([weak, other, riderDup, bike, rider], { minScore: 0.2, iouThreshold: 0.5, maxDetections: 10 });
  assert.deepEqual(kept, [rider, bike, other]);
  assert.deepEqual(nmsPerClass([other, rider, bike], { minScore: 0, iouThreshold: 0.5, maxDetections: 2 }), [rider, bike]);
});
