/**
 * Finer occlusion grids on a case whose answer is known: a region of one twelfth of each side (about a pasted
 * sign's size) that a 6 x 6 grid can only place to within a cell, and a 12 x 12 grid with overlapping patches finds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { occlusionMap, peak } from '../../src/apps/explain/index.js';
import { regionEncoder, whiteImage, type Region } from './region-encoder.js';

const W = 192, H = 144;
const inside = (p: { x: number; y: number }, r: Region) => p.x >= r.x0 * W && p.x < r.x1 * W && p.y >= r.y0 * H && p.y < r.y1 * H;

test('a 12 x 12 occlusion grid (patches of 2 and 3 cells) puts its peak inside a region one cell wide; cost is (cells + patch - 1)^2 + 1 calls', async () => {
  // regions in one quarter of a 6 x 6 cell, so that grid's peak cell has its centre outside them
  const e = 0.01;
  for (const region of [{ x0: 4 / 12 + e, y0: 2 / 12 + e, x1: 5 / 12 - e, y1: 3 / 12 - e }, { x0: 8 / 12 + e, y0: 6 / 12 + e, x1: 9 / 12 - e, y1: 7 / 12 - e }]) {
    const enc = regionEncoder(region, 'sign');
    const [t] = await enc.embedTexts(['sign']);
    const img = whiteImage(W, H);
    const coarse = await occlusionMap(enc, img, t, { cells: 6, patch: 2, fill: 'grey' });
    assert.ok(!inside(peak(coarse.map, W, H), region), 'the case is meant to be too fine for 6 x 6');
    for (const patch of [2, 3]) {
      const fine = await occlusionMap(enc, img, t, { cells: 12, patch, fill: 'grey' });
      assert.equal(fine.evaluations, (12 + patch - 1) ** 2 + 1);
      const p = peak(fine.map, W, H);
      assert.ok(inside(p, region), `12x${patch}: peak ${JSON.stringify(p)} outside ${JSON.stringify(region)}`);
    }
  }
});
