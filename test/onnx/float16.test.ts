import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHalf, toHalf } from '../../src/encoders/onnx/float16.js';

test('float16 conversion: known encodings', () => {
  const cases: [number, number][] = [[0, 0], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [2 ** -24, 0x0001], [2 ** -14, 0x0400], [Infinity, 0x7c00], [1e6, 0x7c00], [1e-9, 0]];
  for (const [x, h] of cases) {
    assert.equal(toHalf(x), h, `toHalf(${x})`);
    assert.equal(fromHalf(h), x > 65504 ? Infinity : Math.abs(x) < 2 ** -25 ? 0 : x, `fromHalf(${h})`);
  }
  assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
});

test('float16 conversion rounds to nearest, ties to even, and round-trips every half', () => {
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00, 'tie rounds down to even');
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02, 'tie rounds up to even');
  assert.equal(toHalf(1 + 2 ** -11 + 2 ** -20), 0x3c01, 'above the tie rounds up');
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaNs
    assert.equal(toHalf(fromHalf(h)), h === 0x8000 ? 0x8000 : h);
  }
});
