import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { headInputDim, imageInputDim, parseModelConfig, readModelConfig } from '../../src/model/config.js';
import { attentionPool, defineImageHead, imageHeadForward, setImageInputStats } from '../../src/model/image-head.js';
import { ParamSet } from '../../src/model/params.js';
import { initTf, type tf } from '../../src/model/tf.js';
import { UsageError } from '../../src/util/errors.js';
import { repoRoot } from '../../src/util/paths.js';
import { createRng } from '../../src/util/rng.js';

const pooled = {
  format: 'vlm-dual-encoder', version: 1, name: 'p', embed_dim: 8,
  image: {
    inputs: [
      { source: 'tower', tower: 'mobilenet_v2_mid', tap: 'final_map', dim: 3 * 4, pool: { type: 'attention', heads: 2, channels: 4 } },
      { source: 'tower', tower: 'mobilenet_v2_mid', tap: 'b13_gap', dim: 5 },
    ],
  },
};

test('attention pool config: pooled width, validation, old configs unchanged', () => {
  const c = parseModelConfig(pooled);
  assert.deepEqual(c.image.inputs[0], { source: 'tower', tower: 'mobilenet_v2_mid', tap: 'final_map', dim: 12, pool: { type: 'attention', heads: 2, channels: 4 } });
  assert.equal(headInputDim(c.image.inputs[0]), 4);
  assert.equal(imageInputDim(c), 9);
  const bad = structuredClone(pooled);
  Object.assign(bad.image.inputs[0], { tap: 'final_gap', pool: { type: 'attention', heads: 3, channels: 5 } });
  assert.throws(() => parseModelConfig(bad), (e: Error) => e instanceof UsageError && /_map/.test(e.message) && /divide dim/.test(e.message) && /divisible by heads/.test(e.message));
  const def = readModelConfig(join(repoRoot, 'models/default/config.json'));
  assert.ok(def.image.inputs.every((s) => !('pool' in s)), 'a config without pool gets no pool key');
});

test('attention pool: zero query = mean over locations; hand-computed weights with a query and a position bias', async () => {
  const tf = await initTf();
  // 1 image, 2 locations, 2 channels, 1 head.
  const x = tf.tensor2d([[1, 2, 3, 6]]);
  const mean = attentionPool(x, tf.zeros([2]) as never, tf.zeros([2, 1]) as never, { type: 'attention', heads: 1, channels: 2 });
  assert.deepEqual(Array.from(mean.dataSync()), [2, 4]);
  // scores: l0 = 1*1 + 2*0 + 0.5 = 1.5, l1 = 3*1 + 0 + 0 = 3 -> w1 = 1 / (1 + e^-1.5).
  const q = tf.tensor1d([1, 0]);
  const pos = tf.tensor2d([[0.5], [0]]);
  const out = attentionPool(x, q, pos, { type: 'attention', heads: 1, channels: 2 }).dataSync();
  const w1 = 1 / (1 + Math.exp(-1.5));
  assert.ok(Math.abs(out[0] - (1 * (1 - w1) + 3 * w1)) < 1e-5);
  assert.ok(Math.abs(out[1] - (2 * (1 - w1) + 6 * w1)) < 1e-5);
  // Two heads: each sees only its own channel slice (channel 0 -> head 0, channel 1 -> head 1).
  const two = attentionPool(x, tf.tensor1d([1, 0]), tf.zeros([2, 2]) as never, { type: 'attention', heads: 2, channels: 2 }).dataSync();
  const v = 1 / (1 + Math.exp(-2)); // head 0 scores 1 vs 3
  assert.ok(Math.abs(two[0] - (1 * (1 - v) + 3 * v)) < 1e-5);
  assert.ok(Math.abs(two[1] - 4) < 1e-5, 'head 1 has a zero query: plain mean');
});

test('image head with a pooled map: untrained pool equals the GAP input, and the query gets a gradient', async () => {
  const tf = await initTf();
  const cfg = parseModelConfig(pooled);
  const rng = createRng(3);
  const P = new ParamSet();
  defineImageHead(P, cfg.image, cfg.embed_dim, rng);
  const n = 6;
  const map = Float32Array.from({ length: n * 12 }, () => rng() * 4);
  const gap = Float32Array.from({ length: n * 5 }, () => rng());
  setImageInputStats(P, cfg.image, [{ data: map, rows: n }, { data: gap, rows: n }]);
  const means = new Float32Array(n * 4);
  for (let r = 0; r < n; r++) for (let l = 0; l < 3; l++) for (let c = 0; c < 4; c++) means[r * 4 + c] += map[r * 12 + l * 4 + c] / 3;
  // Standardisation statistics are those of the location mean.
  const mu = P.get('image.inputs.0.mean').dataSync();
  for (let c = 0; c < 4; c++) assert.ok(Math.abs(mu[c] - Array.from({ length: n }, (_, r) => means[r * 4 + c]).reduce((a, b) => a + b) / n) < 1e-5);
  // A head fed the GAP vector through a plain (unpooled) input with the same statistics gives the same output.
  const plain = parseModelConfig({ ...pooled, image: { inputs: [{ source: 'tower', tower: 'mobilenet_v2_mid', tap: 'final_gap', dim: 4 }, pooled.image.inputs[1]] } });
  const Q = new ParamSet();
  defineImageHead(Q, plain.image, plain.embed_dim, createRng(3));
  for (const name of Q.vars.keys()) Q.get(name).assign(P.get(name));
  const a = imageHeadForward(P, cfg.image, [tf.tensor2d(map, [n, 12]), tf.tensor2d(gap, [n, 5])], false).dataSync();
  const b = imageHeadForward(Q, plain.image, [tf.tensor2d(means, [n, 4]), tf.tensor2d(gap, [n, 5])], false).dataSync();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4, `output ${i}: ${v} vs ${b[i]}`));
  const q = P.get('image.inputs.0.pool.query');
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(imageHeadForward(P, cfg.image, [tf.tensor2d(map, [n, 12]), tf.tensor2d(gap, [n, 5])], false))).asScalar(), [q]);
  assert.ok(tf.sum(tf.abs(grads[q.name])).dataSync()[0] > 0);
});

test('attention pool: the hand-written gradient matches autodiff of the plain formula', async () => {
  const tf = await initTf();
  const rng = createRng(7);
  const B = 3, L = 5, C = 6, H = 3, d = C / H;
  const x = tf.tensor2d(Float32Array.from({ length: B * L * C }, () => rng() * 2 - 1), [B, L * C]);
  const q = tf.variable(tf.tensor1d(Float32Array.from({ length: C }, () => rng() - 0.5)));
  const pos = tf.variable(tf.tensor2d(Float32Array.from({ length: L * H }, () => rng() - 0.5), [L, H]));
  const target = tf.tensor2d(Float32Array.from({ length: B * C }, () => rng()), [B, C]);
  // Reference: elementwise ops only, differentiated by tfjs.
  const reference = () => {
    const x4 = tf.reshape(x, [B, L, H, d]);
    const scores = tf.add(tf.sum(tf.mul(x4, tf.reshape(q, [H, d])), 3), pos);
    const w = tf.transpose(tf.softmax(tf.transpose(scores, [0, 2, 1])), [0, 2, 1]);
    return tf.reshape(tf.sum(tf.mul(x4, tf.expandDims(w, 3)), 1), [B, C]);
  };
  const lossOf = (f: () => tf.Tensor) => () => tf.sum(tf.mul(f(), target)).asScalar();
  const spec = { type: 'attention' as const, heads: H, channels: C };
  const a = tf.variableGrads(lossOf(() => attentionPool(x, q as tf.Tensor as tf.Tensor1D, pos as tf.Tensor as tf.Tensor2D, spec)), [q, pos]);
  const b = tf.variableGrads(lossOf(reference), [q, pos]);
  assert.ok(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0]) < 1e-4);
  for (const v of [q, pos]) {
    const ga = a.grads[v.name].dataSync();
    const gb = b.grads[v.name].dataSync();
    assert.ok(gb.some((g) => Math.abs(g) > 1e-3), 'the reference gradient is not trivially zero');
    ga.forEach((g, i) => assert.ok(Math.abs(g - gb[i]) < 1e-4, `${v.name}[${i}]: ${g} vs ${gb[i]}`));
  }
});
