import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVlmModel, modelTensors, roundTokenTableForStorage, saveVlmModel, wrapModel } from '../../src/model/checkpoint.js';
import { parseModelConfig } from '../../src/model/config.js';
import { initTf } from '../../src/model/tf.js';
import { initTokenEmbedding } from '../../src/model/token-embedding.js';
import { VlmModel } from '../../src/model/vlm-model.js';
import { MixedTokenizer } from '../../src/text/tokenizer.js';
import { createRng } from '../../src/util/rng.js';

const tokenizer = MixedTokenizer.fromJSON({
  type: 'vlm-mixed', version: 1, lowercase: true, maxLength: 8,
  specials: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[UNK_ZH]'],
  en: ['a', 'dog', 'runs', 'on', 'the', 'grass', 'cat'], zh: ['狗', '在', '草', '地', '上', '跑'],
});

function makeModel(dtype: 'F32' | 'F16') {
  const cfg = parseModelConfig({
    format: 'vlm-dual-encoder', version: 1, name: 'ckpt-test', embed_dim: 6,
    image: { inputs: [{ source: 'tower', tower: 'mobilenet_v2_mid', tap: 'final_gap', dim: 5 }], head: { type: 'mlp', hidden: 7 }, flip_tta: true },
    text: { max_length: 8, word_dim: 4, d_model: 8, layers: 1, heads: 2, embedding_dtype: dtype },
    loss: { type: 'sigmoid' },
  });
  const rng = createRng(11);
  const model = new VlmModel(cfg, initTokenEmbedding({ rows: tokenizer.vocabSize, dim: 4, enOffset: 5, rng, trainable: 'all' }), rng);
  // Perturb every parameter so nothing is at a trivially reproducible init value.
  for (const v of model.params.vars.values()) v.assign(v.add(rng() - 0.5));
  return model;
}

for (const dtype of ['F32', 'F16'] as const) {
  test(`checkpoint save -> load is bit-exact (token table ${dtype})`, async () => {
    await initTf();
    const model = makeModel(dtype);
    roundTokenTableForStorage(model);
    const dir = mkdtempSync(join(tmpdir(), 'vlm-ckpt-'));
    saveVlmModel(model, tokenizer, dir);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'MODEL_CARD.md']) assert.ok(statSync(join(dir, f)).size > 0, f);
    const loaded = await loadVlmModel(dir);
    assert.deepEqual(loaded.config, model.config);
    assert.deepEqual(loaded.tokenizer.toJSON(), tokenizer.toJSON());
    const a = modelTensors(model);
    const b = modelTensors(loaded.model);
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [name, t] of a) {
      const u = b.get(name)!;
      assert.equal(u.dtype, t.dtype, name);
      assert.deepEqual(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), name);
    }
    // Saving the loaded model again gives the same weights file byte for byte.
    const dir2 = mkdtempSync(join(tmpdir(), 'vlm-ckpt-'));
    saveVlmModel(loaded.model, loaded.tokenizer, dir2);
    assert.deepEqual(readFileSync(join(dir2, 'model.safetensors')), readFileSync(join(dir, 'model.safetensors')));

    // Same embeddings from the in-memory and the loaded model, unit-norm, in input order.
    const texts = ['a dog runs on the grass', '狗在草地上跑', 'cat'];
    const orig = wrapModel(model, tokenizer);
    const e1 = orig.embedTexts(texts);
    const e2 = loaded.embedTexts(texts);
    assert.deepEqual(e2, e1);
    for (const e of e1) assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-5);
    assert.notDeepEqual(e1[0], e1[2]);
    // Order-independence of the length-sorted batching.
    assert.deepEqual(loaded.embedTexts([texts[2], texts[0]]), [e2[2], e2[0]]);

    const feats = { 'mobilenet_v2_mid/final_gap': [new Float32Array([1, 2, 3, 4, 5]), new Float32Array([0, 0, 1, 0, 0])] };
    const flipped = { 'mobilenet_v2_mid/final_gap': [new Float32Array([5, 4, 3, 2, 1]), new Float32Array([0, 1, 0, 0, 0])] };
    assert.deepEqual(loaded.embedImageFeatures(feats), orig.embedImageFeatures(feats));
    const tta = loaded.embedImageFeatures(feats, { flipped });
    assert.notDeepEqual(tta[0], loaded.embedImageFeatures(feats)[0]);
    assert.ok(Math.abs(Math.hypot(...tta[0]) - 1) < 1e-5);
    assert.throws(() => loaded.embedImageFeatures({}), /missing image features "mobilenet_v2_mid\/final_gap"/);
    assert.deepEqual(loaded.imageInputs.map((i) => i.key), ['mobilenet_v2_mid/final_gap']);
    loaded.dispose();
    model.dispose();
  });
}

test('loading a folder without a model says so', async () => {
  await assert.rejects(loadVlmModel(mkdtempSync(join(tmpdir(), 'vlm-empty-'))), /is not a model folder/);
});
