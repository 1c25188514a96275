import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankStats, retrievalMetrics, similarityMatrix } from '../../src/eval/retrieval-metrics.js';
import { createRng } from '../../src/util/rng.js';

// 3 images x 2 captions each: texts 0,1 -> image 0; 2,3 -> image 1; 4,5 -> image 2.
const GT = [0, 0, 1, 1, 2, 2];
// prettier-ignore
const SIM = Float32Array.from([
  0.9, 0.1, 0.2, // t0: correct image first                       -> rank 1
  0.3, 0.5, 0.1, // t1: image 1 beats image 0                      -> rank 2
  0.2, 0.8, 0.4, // t2                                             -> rank 1
  0.9, 0.6, 0.9, // t3: images 0 and 2 beat image 1                -> rank 3
  0.1, 0.2, 0.3, // t4                                             -> rank 1
  0.5, 0.5, 0.5, // t5: three-way tie, counted pessimistically     -> rank 3
]);

test('text -> image ranks, R@K, median and mean rank on a hand-computed 6x3 matrix', () => {
  const m = retrievalMetrics(SIM, 6, 3, GT);
  assert.deepEqual([...m.t2iRanks], [1, 2, 1, 3, 1, 3]);
  assert.equal(m.t2i.r1, 50); // 3 of 6
  assert.equal(m.t2i.r5, 100);
  assert.equal(m.t2i.r10, 100);
  assert.equal(m.t2i.medr, 1.5); // sorted 1 1 1 2 3 3
  assert.ok(Math.abs(m.t2i.meanr - 11 / 6) < 1e-12);
});

test('image -> text: best rank among an image\'s captions, ties with wrong captions counted against it', () => {
  const m = retrievalMetrics(SIM, 6, 3, GT);
  // image 0: column 0.9 .3 .2 .9 .1 .5; best correct caption t0 = 0.9 ties with wrong t3 -> rank 2
  // image 1: column .1 .5 .8 .6 .2 .5; best correct t2 = 0.8, nothing else >= -> rank 1
  // image 2: column .2 .1 .4 .9 .3 .5; best correct t5 = 0.5, wrong t3 = 0.9 above -> rank 2
  assert.deepEqual([...m.i2tRanks], [2, 1, 2]);
  assert.ok(Math.abs(m.i2t.r1 - 100 / 3) < 1e-12);
  assert.equal(m.i2t.r5, 100);
  assert.equal(m.i2t.medr, 2);
  assert.ok(Math.abs(m.i2t.meanr - 5 / 3) < 1e-12);
});

test('a constant similarity matrix gets the worst ranks, not R@1 = 100%', () => {
  const m = retrievalMetrics(new Float32Array(6 * 3).fill(0.2), 6, 3, GT);
  assert.deepEqual([...m.t2iRanks], [3, 3, 3, 3, 3, 3]);
  assert.deepEqual([...m.i2tRanks], [5, 5, 5]); // 4 wrong captions tie with each image's captions
  assert.equal(m.t2i.r1, 0);
});

test('R@K boundaries: rank 5 counts for R@5, rank 6 does not; even-length median averages', () => {
  const s = rankStats([1, 5, 6, 10, 11, 20]);
  assert.ok(Math.abs(s.r1 - 100 / 6) < 1e-12);
  assert.ok(Math.abs(s.r5 - 200 / 6) < 1e-12);
  assert.ok(Math.abs(s.r10 - 400 / 6) < 1e-12);
  assert.equal(s.medr, 8);
  assert.equal(s.meanr, 53 / 6);
});

test('agrees with sorting every row on a random matrix with many ties', () => {
  const rng = createRng(3);
  const nI = 12, perImage = 5, nT = nI * perImage;
  const gt = Array.from({ length: nT }, (_, t) => Math.floor(t / perImage));
  const sim = Float32Array.from({ length: nT * nI }, () => Math.round(rng() * 6) / 6); // coarse values: ties
  const m = retrievalMetrics(sim, nT, nI, gt);
  for (let t = 0; t < nT; t++) {
    // Sort images by score, putting the correct one after every tie.
    const order = [...Array(nI).keys()].sort((a, b) => sim[t * nI + b] - sim[t * nI + a] || (a === gt[t] ? 1 : b === gt[t] ? -1 : 0));
    assert.equal(m.t2iRanks[t], order.indexOf(gt[t]) + 1, `text ${t}`);
  }
  for (let i = 0; i < nI; i++) {
    const order = [...Array(nT).keys()].sort(
      (a, b) => sim[b * nI + i] - sim[a * nI + i] || (gt[a] === i ? 1 : 0) - (gt[b] === i ? 1 : 0),
    );
    assert.equal(m.i2tRanks[i], order.findIndex((t) => gt[t] === i) + 1, `image ${i}`);
  }
});

test('similarity matrix is texts x images dot products, and 5000 x 1000 is scored quickly (no sorting)', () => {
  const texts = [Float32Array.from([1, 0]), Float32Array.from([0.6, 0.8])];
  const images = [Float32Array.from([0, 1]), Float32Array.from([1, 0]), Float32Array.from([0.8, 0.6])];
  const s = similarityMatrix(texts, images);
  assert.deepEqual([...s].map((x) => Math.round(x * 1000) / 1000), [0, 1, 0.8, 0.8, 0.6, 0.96]);

  const nI = 1000, nT = 5000;
  const rng = createRng(1);
  const sim = Float32Array.from({ length: nT * nI }, () => rng());
  const gt = Array.from({ length: nT }, (_, t) => t % nI);
  const t0 = performance.now();
  const m = retrievalMetrics(sim, nT, nI, gt);
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  // Random scores: the expected rank of the correct image is about (nI + 1) / 2.
  assert.ok(Math.abs(m.t2i.meanr - 500.5) < 25, `mean rank ${m.t2i.meanr}`);
});

test('bad input is refused with a message', () => {
  assert.throws(() => retrievalMetrics(SIM, 6, 2, GT), /expected 6 x 2/);
  assert.throws(() => retrievalMetrics(SIM, 6, 3, [0, 0, 1, 1, 2, 3]), /outside/);
  assert.throws(() => retrievalMetrics(SIM, 6, 3, [0, 0, 0, 0, 2, 2]), /image 1 has no caption/);
});

test('similarity matrix handles dimensions that are not a multiple of 4', () => {
  const v = Float32Array.from([1, 2, 3, 4, 5, 6, 7]);
  const w = Float32Array.from([1, 0, 1, 0, 1, 0, 2]);
  assert.deepEqual([...similarityMatrix([v], [w, v])], [1 + 3 + 5 + 14, 140]);
});
