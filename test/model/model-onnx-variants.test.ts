import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelTensors, roundTokenTableForStorage } from '../../src/model/checkpoint.js';
import { parseModelConfig } from '../../src/model/config.js';
import { loadOnnxImageHead } from '../../src/model/image-head-onnx.js';
import { loadOnnxTextTower } from '../../src/model/text-tower-onnx.js';
import { initTf, tf } from '../../src/model/tf.js';
import { initTokenEmbedding } from '../../src/model/token-embedding.js';
import { VlmModel } from '../../src/model/vlm-model.js';
import { createRng } from '../../src/util/rng.js';

/**
 * The onnxruntime converters (text tower, image head) on the config options the default model does not use:
 * [CLS] pooling, a linear head, l2 / no input normalisation, several inputs, an F32 token table, 3 layers.
 * Random models, compared with the tfjs forward pass they were converted from.
 */

const variants = [
  { pooling: 'cls', head: { type: 'linear', input_norm: 'l2' }, dtype: 'F32', layers: 3 },
  { pooling: 'mean', head: { type: 'mlp', hidden: 24, input_norm: 'none' }, dtype: 'F16', layers: 1 },
  { pooling: 'mean', head: { type: 'mlp', hidden: 16, input_norm: 'standardize' }, dtype: 'F32', layers: 2 },
] as const;

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((v, i) => v.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i][j])))));
  return m;
}

for (const [k, v] of variants.entries()) {
  test(`onnx converters match tfjs: ${v.pooling} pooling, ${v.head.type} head (${v.head.input_norm}), ${v.dtype} table, ${v.layers} layers`, async () => {
    await initTf();
    const cfg = parseModelConfig({
      format: 'vlm-dual-encoder', version: 1, name: `variant-${k}`, embed_dim: 12,
      image: {
        inputs: [
          { source: 'tower', tower: 'mobilenet_v2_mid', tap: 'final_gap', dim: 10 },
          { source: 'tower', tower: 'mobilenet_v2_mid', tap: 'b13_gap', dim: 6 },
        ],
        head: v.head, flip_tta: false,
      },
      text: { max_length: 10, word_dim: 8, d_model: 16, layers: v.layers, heads: 4, pooling: v.pooling, embedding_dtype: v.dtype },
    });
    const rng = createRng(100 + k);
    const rows = 40;
    const model = new VlmModel(cfg, initTokenEmbedding({ rows, dim: 8, enOffset: 5, rng, trainable: 'all' }), rng);
    // Per-element noise, away from the init values (LN gamma 1, biases 0, zero mean / unit std statistics).
    for (const [i, p] of [...model.params.vars.values()].entries()) p.assign(tf.tidy(() => p.add(tf.randomUniform(p.shape, -0.3, 0.3, 'float32', 7 * k + i))));
    roundTokenTableForStorage(model);
    const tensors = modelTensors(model);

    // Text: 6 sequences of lengths 2..10 in one padded batch.
    const T = 10, B = 6;
    const ids = new Int32Array(B * T), mask = new Float32Array(B * T);
    for (let r = 0; r < B; r++) {
      const len = 2 + Math.floor((r * (T - 2)) / (B - 1));
      for (let t = 0; t < len; t++) ids[r * T + t] = t === 0 ? 2 : 1 + Math.floor(rng() * (rows - 1));
      mask.fill(1, r * T, r * T + len);
    }
    const batch = { ids, mask, length: T };
    const want = model.embedTokenIds(batch);
    for (const fused of [true, false]) {
      const tower = await loadOnnxTextTower(cfg, tensors, { fused, threads: 1 });
      const d = maxAbsDiff(want, await tower.embedTokenIds(batch));
      await tower.dispose();
      assert.ok(d < 1e-4, `text (${fused ? 'fused' : 'standard ops'}): max abs difference ${d}`);
    }

    // Image head: 5 images, two inputs.
    const n = 5;
    const feats = cfg.image.inputs.map((s) => Float32Array.from({ length: n * s.dim }, () => rng() * 4 - 1));
    const head = await loadOnnxImageHead(cfg, tensors, { threads: 1 });
    const d = maxAbsDiff(model.embedFeatureMatrices(feats, n), await head.embedFeatureMatrices(feats, n));
    await head.dispose();
    model.dispose();
    assert.ok(d < 1e-4, `image head: max abs difference ${d}`);
  });
}
