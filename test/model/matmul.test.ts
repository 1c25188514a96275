import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTf, tf } from '../../src/model/tf.js';
import { bmm, matmul } from '../../src/model/matmul.js';

test('custom-gradient matmul/bmm give the same values and gradients as tf.matMul', async () => {
  await initTf();
  const a = tf.randomNormal([5, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal([3, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
  const w = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
  const f = (mm: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(mm(x as tf.Tensor2D, y as tf.Tensor2D), w));
  const ours = tf.grads(f(matmul))([a, b]);
  const ref = tf.grads(f((x, y) => tf.matMul(x, y)))([a, b]);
  for (let i = 0; i < 2; i++) {
    const d = tf.max(tf.abs(tf.sub(ours[i], ref[i]))).dataSync()[0];
    assert.ok(d < 1e-5, `grad ${i} differs by ${d}`);
  }
  const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4) as tf.Tensor3D;
  const y = tf.randomNormal([2, 4, 5], 0, 1, 'float32', 5) as tf.Tensor3D;
  const w3 = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 6);
  const g = (mm: (p: tf.Tensor3D, q: tf.Tensor3D) => tf.Tensor) => (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(mm(p as tf.Tensor3D, q as tf.Tensor3D), w3));
  const ours3 = tf.grads(g(bmm))([x, y]);
  const ref3 = tf.grads(g((p, q) => tf.matMul(p, q)))([x, y]);
  for (let i = 0; i < 2; i++) {
    const d = tf.max(tf.abs(tf.sub(ours3[i], ref3[i]))).dataSync()[0];
    assert.ok(d < 1e-5, `bmm grad ${i} differs by ${d}`);
  }
  assert.ok(tf.max(tf.abs(tf.sub(bmm(x, y), tf.matMul(x, y)))).dataSync()[0] < 1e-6);
});
