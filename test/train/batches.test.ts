import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochPlan } from '../../src/train/batches.js';
import { lrAt } from '../../src/train/schedule.js';

test('an epoch plan is a reproducible permutation; bucketing keeps every sample and lowers padding', () => {
  const n = 1000;
  const lengths = Array.from({ length: n }, (_, i) => 5 + ((i * 7919) % 23));
  const a = epochPlan(n, 32, 3, 2, true);
  const b = epochPlan(n, 32, 3, 2, true);
  assert.deepEqual(a, b);
  assert.notDeepEqual(epochPlan(n, 32, 3, 3, true).order, a.order);
  assert.deepEqual([...a.order].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
  assert.equal(a.batches, 31);
  const flips = a.views.reduce((s, f) => s + f, 0);
  assert.ok(flips > 400 && flips < 600, `flips ${flips}`);
  assert.equal(epochPlan(n, 32, 3, 2, false).views.reduce((s, f) => s + f, 0), 0);

  const bucketed = epochPlan(n, 32, 3, 2, true, lengths);
  assert.deepEqual([...bucketed.order].sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i));
  const padded = (order: Int32Array) => {
    let cost = 0;
    for (let bi = 0; bi < 31; bi++) cost += 32 * Math.max(...Array.from(order.subarray(bi * 32, bi * 32 + 32), (i) => lengths[i]));
    return cost;
  };
  assert.ok(padded(bucketed.order) < 0.85 * padded(a.order), `${padded(bucketed.order)} vs ${padded(a.order)}`);
});

test('learning rate: linear warmup, cosine to the floor', () => {
  const o = { lr: 1, warmup: 10, total: 110, minRatio: 0.1 };
  assert.equal(lrAt(0, o), 0.1);
  assert.equal(lrAt(9, o), 1);
  assert.equal(lrAt(10, o), 1);
  assert.ok(Math.abs(lrAt(60, o) - 0.55) < 1e-12);
  assert.ok(Math.abs(lrAt(110, o) - 0.1) < 1e-12);
  assert.ok(Math.abs(lrAt(500, o) - 0.1) < 1e-12);
});
