import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTf } from '../../src/model/tf.js';
import { infoNceLoss, sameImageMask, sigmoidLoss } from '../../src/model/losses.js';

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('InfoNCE and sigmoid loss on a hand-computed 2x2 case', async () => {
  const tf = await initTf();
  // Orthonormal pairs, scale 1: logits = identity.
  const img = tf.tensor2d([[1, 0], [0, 1]]);
  const txt = tf.tensor2d([[1, 0], [0, 1]]);
  // Each row and column: -log(e / (e + 1)) = log(1 + 1/e) = 0.3132617.
  close((await infoNceLoss(img, txt, tf.scalar(1)).data())[0], 0.3132617);
  // Sigmoid, bias 0: positives -log sigma(1) = 0.3132617 (x2), negatives -log sigma(-0) = log 2 (x2); / B = 2.
  close((await sigmoidLoss(img, txt, tf.scalar(1), tf.scalar(0)).data())[0], (2 * 0.3132617 + 2 * Math.LN2) / 2);
  // Scale 10, bias -10: positive logit 0 -> log 2; negatives logit -10 -> log(1 + e^-10).
  close((await sigmoidLoss(img, txt, tf.scalar(10), tf.scalar(-10)).data())[0], (2 * Math.LN2 + 2 * Math.log1p(Math.exp(-10))) / 2);
});

test('InfoNCE on a 3x3 case matches the formula, and duplicates are masked', async () => {
  const tf = await initTf();
  const s = Math.SQRT1_2;
  const imgRows = [[1, 0], [0, 1], [s, s]];
  const txtRows = [[1, 0], [s, s], [0, 1]];
  const scale = 2;
  // logits[i][j] = scale * img_i . txt_j
  const L = imgRows.map((a) => txtRows.map((b) => scale * (a[0] * b[0] + a[1] * b[1])));
  // Hand expansion: L = [[2, 1.414, 0], [0, 1.414, 2], [1.414, 2, 1.414]].
  const rowCe = (i: number) => -L[i][i] + Math.log(L[i].reduce((a, v) => a + Math.exp(v), 0));
  const colCe = (j: number) => -L[j][j] + Math.log(L.reduce((a, r) => a + Math.exp(r[j]), 0));
  const want = ([0, 1, 2].reduce((a, i) => a + rowCe(i) + colCe(i), 0)) / 6;
  // Cross-check one term by hand: row 0 = -2 + log(e^2 + e^1.41421 + 1) = 0.5960...
  close(rowCe(0), -2 + Math.log(Math.exp(2) + Math.exp(2 * s) + 1));
  const got = (await infoNceLoss(tf.tensor2d(imgRows), tf.tensor2d(txtRows), tf.scalar(scale)).data())[0];
  close(got, want);

  // Rows 0 and 2 showing the same image: their cross terms drop out of both softmaxes.
  const mask = sameImageMask([7, 3, 7])!;
  assert.deepEqual([...mask], [0, 0, 1, 0, 0, 0, 1, 0, 0]);
  assert.equal(sameImageMask([1, 2, 3]), undefined);
  const lse = (xs: number[]) => Math.log(xs.reduce((a, v) => a + Math.exp(v), 0));
  const wantMasked = (
    (-L[0][0] + lse([L[0][0], L[0][1]])) + (-L[1][1] + lse(L[1])) + (-L[2][2] + lse([L[2][1], L[2][2]])) +
    (-L[0][0] + lse([L[0][0], L[1][0]])) + (-L[1][1] + lse([L[0][1], L[1][1], L[2][1]])) + (-L[2][2] + lse([L[1][2], L[2][2]]))
  ) / 6;
  const gotMasked = (await infoNceLoss(tf.tensor2d(imgRows), tf.tensor2d(txtRows), tf.scalar(scale), tf.tensor2d(mask, [3, 3])).data())[0];
  close(gotMasked, wantMasked, 1e-4);

  // Sigmoid with the duplicate counted as a positive.
  const bias = -1;
  const lsig = (z: number) => Math.log1p(Math.exp(-z));
  let sum = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    const positive = i === j || mask[i * 3 + j] === 1;
    sum += lsig((positive ? 1 : -1) * (L[i][j] + bias));
  }
  const gotSig = (await sigmoidLoss(tf.tensor2d(imgRows), tf.tensor2d(txtRows), tf.scalar(scale), tf.scalar(bias), tf.tensor2d(mask, [3, 3])).data())[0];
  close(gotSig, sum / 3, 1e-4);
});
