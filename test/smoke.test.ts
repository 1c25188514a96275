import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../src/util/rng.js';

test('rng is deterministic per seed', () => {
  const a = createRng(7), b = createRng(7);
  for (let i = 0; i < 5; i++) assert.equal(a(), b());
});
