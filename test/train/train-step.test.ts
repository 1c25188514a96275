import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModelConfig } from '../../src/model/config.js';
import { initTf, tf } from '../../src/model/tf.js';
import { initTokenEmbedding } from '../../src/model/token-embedding.js';
import { VlmModel } from '../../src/model/vlm-model.js';
import { AdamW, SparseAdamW } from '../../src/train/adamw.js';
import { trainStep, type Batch } from '../../src/train/train-step.js';
import { createRng } from '../../src/util/rng.js';

export function tinyConfig(over: { loss?: 'infonce' | 'sigmoid'; pooling?: 'mean' | 'cls'; head?: 'mlp' | 'linear' } = {}) {
  return parseModelConfig({
    format: 'vlm-dual-encoder', version: 1, name: 'tiny', embed_dim: 8,
    image: {
      inputs: [{ source: 'tower', tower: 'inception_v3', tap: 'final_gap', dim: 6 }, { source: 'detector', detector: 'centernet', dim: 4 }],
      head: { type: over.head ?? 'mlp', hidden: 12, input_dropout: 0.1, dropout: 0.1 },
    },
    text: { max_length: 6, word_dim: 5, d_model: 8, layers: 2, heads: 2, pooling: over.pooling ?? 'mean', dropout: 0.1 },
    loss: { type: over.loss ?? 'infonce' },
  });
}

/** A learnable toy task: each of 8 "images" has a feature pattern and a fixed token sequence. */
function toyBatch(rng: () => number): Batch {
  const B = 8;
  const T = 5;
  const f1 = new Float32Array(B * 6);
  const f2 = new Float32Array(B * 4);
  const ids = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  for (let i = 0; i < B; i++) {
    f1[i * 6 + (i % 6)] = 1 + 0.1 * rng();
    f2[i * 4 + (i % 4)] = 1;
    f1[i * 6 + ((i + 3) % 6)] = i / 8;
    const len = 3 + (i % 3);
    for (let t = 0; t < len; t++) {
      ids[i * T + t] = t === 0 ? 2 : 5 + ((i * 3 + t) % 20);
      mask[i * T + t] = 1;
    }
  }
  // Rows 0 and 4 repeat image 0: exercises the duplicate mask.
  return { size: B, inputs: [f1, f2], tokens: { ids, mask, length: T }, imageIds: Int32Array.from([0, 1, 2, 3, 0, 5, 6, 7]) };
}

for (const variant of [{ loss: 'infonce' as const }, { loss: 'sigmoid' as const, pooling: 'cls' as const, head: 'linear' as const }]) {
  test(`a training step runs on wasm, updates every parameter and lowers the loss (${JSON.stringify(variant)})`, async () => {
    await initTf();
    const cfg = tinyConfig(variant);
    const rng = createRng(7);
    const emb = initTokenEmbedding({ rows: 30, dim: 5, enOffset: 5, rng, trainable: 'all' });
    const model = new VlmModel(cfg, emb, rng);
    const before = new Map([...model.params.vars].map(([n, v]) => [n, v.dataSync().slice()]));
    const embBefore = emb.data.slice();
    const dense = new AdamW(model.params, { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.01 });
    const sparse = new SparseAdamW(emb, { beta1: 0.9, beta2: 0.98, eps: 1e-8 });
    const seedRng = createRng(3);
    const seed = () => Math.floor(seedRng() * 2 ** 31);
    const tensorsBefore = tf.memory().numTensors;
    const losses: number[] = [];
    for (let s = 0; s < 40; s++) {
      const r = trainStep(model, toyBatch(rng), { dense, sparse, lr: 1e-2, lrEmbeddings: 1e-2, gradClip: 1, seed });
      assert.ok(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm), `step ${s}: loss ${r.loss}`);
      losses.push(r.loss);
    }
    // No tensor leaks per step (moments exist from the start).
    assert.equal(tf.memory().numTensors, tensorsBefore);
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    assert.ok(last < first * 0.7, `loss did not fall: ${first} -> ${last}`);
    for (const name of model.params.trainable) {
      const a = before.get(name)!;
      const b = model.params.get(name).dataSync();
      assert.ok(a.some((x, i) => x !== b[i]), `${name} never changed`);
    }
    // Token rows used by the toy captions moved; unused rows did not.
    assert.notEqual(emb.data[7 * 5], embBefore[7 * 5]);
    assert.equal(emb.data[29 * 5], embBefore[29 * 5]);
    dense.dispose();
    model.dispose();
  });
}
