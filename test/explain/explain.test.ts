import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { explainImageText, heatmap, occlusionMap, peak, resample, splitWords, joinWords, surgery, upsample, wordContributions } from '../../src/apps/explain/index.js';
import { l2normalize } from '../../src/encoders/encoder.js';
import { UsageError } from '../../src/util/errors.js';
import { regionEncoder, whiteImage, type Region } from './region-encoder.js';

const inside = (p: { x: number; y: number }, r: Region, w: number, h: number) => p.x >= r.x0 * w && p.x < r.x1 * w && p.y >= r.y0 * h && p.y < r.y1 * h;

test('occlusion finds the one region the similarity depends on, wherever it is', async () => {
  for (const region of [{ x0: 0.5, y0: 1 / 6, x1: 5 / 6, y1: 0.5 }, { x0: 0, y0: 2 / 3, x1: 1 / 3, y1: 1 }]) {
    const enc = regionEncoder(region, 'sign');
    const img = whiteImage(180, 120);
    const [t] = await enc.embedTexts(['sign']);
    const r = await occlusionMap(enc, img, t, { cells: 6, patch: 2, fill: 'grey' });
    assert.equal(r.map.rows, 6);
    assert.equal(r.evaluations, 50);
    assert.ok(inside(peak(r.map, 180, 120), region, 180, 120), `peak ${JSON.stringify(peak(r.map, 180, 120))} outside ${JSON.stringify(region)}`);
    // cells far from the region are not affected at all
    assert.equal(r.map.values[5 * 6 + (region.x0 > 0.5 ? 0 : 5)], 0);
  }
});

test('leave-one-out gives the word that carries the score all of it', async () => {
  const enc = regionEncoder({ x0: 0, y0: 0, x1: 1, y1: 1 }, 'sign');
  const [v] = await enc.embedImages([whiteImage(32, 32)]);
  const r = await wordContributions(enc, v, 'a red sign on a pole');
  assert.deepEqual(r.words.map((w) => w.word), ['a', 'red', 'sign', 'on', 'a', 'pole']);
  const best = r.words.reduce((a, b) => (b.contribution > a.contribution ? b : a));
  assert.equal(best.word, 'sign');
  assert.ok(best.contribution > 0.3);
  for (const w of r.words) if (w.word !== 'sign') assert.ok(Math.abs(w.contribution) < 1e-6, `${w.word}: ${w.contribution}`);
});

test('Chinese text is split into characters and joined back without spaces', () => {
  assert.deepEqual(splitWords('一只狗 on grass'), ['一', '只', '狗', 'on', 'grass']);
  assert.equal(joinWords(['一', '只', '狗', 'on', 'grass']), '一只狗 on grass');
  assert.equal(joinWords(['a', 'dog']), 'a dog');
});

test('explainImageText: overlay PNG at the input size, grid 0..1, words; empty text and non-images refused', async () => {
  const region = { x0: 0.5, y0: 0.5, x1: 1, y1: 1 };
  const enc = regionEncoder(region, 'sign');
  const img = whiteImage(150, 100);
  const png = await sharp(Buffer.from(img.data), { raw: { width: 150, height: 100, channels: 3 } }).png().toBuffer();
  const r = await explainImageText(enc, png, 'a sign', { occlusion: { cells: 4, patch: 2, fill: 'grey' } });
  assert.equal(r.method, 'occlusion');
  const meta = await sharp(r.png!).metadata();
  assert.deepEqual([meta.width, meta.height, meta.format], [150, 100, 'png']);
  assert.equal(r.grid.length, 4);
  const flat = r.grid.flat();
  assert.equal(Math.max(...flat), 1);
  assert.equal(Math.min(...flat), 0);
  assert.ok(r.grid[3][3] > 0.9 && r.grid[0][0] === 0, 'the bottom-right quarter is the region');
  assert.equal(r.words?.find((w) => w.word === 'sign')?.contribution !== undefined, true);
  await assert.rejects(explainImageText(enc, png, '   '), (e: unknown) => e instanceof UsageError && /empty/.test((e as Error).message));
  await assert.rejects(explainImageText(enc, Buffer.from('not an image at all'), 'a sign'), /not an image/);
  await assert.rejects(explainImageText(enc, png, 'a sign', { method: 'dense' }), /dense heatmaps need/);
});

test('surgery removes what all locations share: a location that differs from the rest wins', () => {
  const common = l2normalize(Float32Array.of(1, 0.2, 0));
  const odd = l2normalize(Float32Array.of(0.7, 0.1, 0.6));
  const locs = Array.from({ length: 9 }, (_, i) => (i === 4 ? odd : common));
  // the text is close to the common direction, so raw cosine prefers the common locations ...
  const text = l2normalize(Float32Array.of(1, 0, 0.3));
  const raw = locs.map((e) => e[0] * text[0] + e[1] * text[1] + e[2] * text[2]);
  assert.ok(raw[0] > raw[4]);
  // ... while after removing the shared direction only the odd location's own part (along z) is left
  const s = surgery(locs, text);
  assert.equal(s.indexOf(Math.max(...s)), 4);
  assert.ok(Math.abs(s[0]) < 0.05);
});

test('heatmap helpers: upsampling keeps a constant map constant, resample keeps the mean, peak is the strongest cell', () => {
  const flat = upsample(heatmap(3, 3, Array(9).fill(0.5)), 17, 11);
  assert.ok(flat.every((v) => Math.abs(v - 0.5) < 1e-6));
  const h = heatmap(2, 2, [0, 1, 2, 3]);
  const r = resample(h, 4, 4);
  const mean = r.values.reduce((a, b) => a + b, 0) / 16;
  assert.ok(Math.abs(mean - 1.5) < 0.05, String(mean));
  assert.deepEqual(peak(h, 100, 100), { x: 75, y: 75 });
});
