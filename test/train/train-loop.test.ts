import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVlmModel } from '../../src/model/checkpoint.js';
import { MixedTokenizer } from '../../src/text/tokenizer.js';
import { train } from '../../src/train/train.js';
import type { SplitData } from '../../src/train/training-data.js';
import { createRng } from '../../src/util/rng.js';
import { TOY_DIM, toyImages } from './toy-split.js';

process.env.VLM_QUIET = '1';

const words = ['a', 'dog', 'cat', 'red', 'blue', 'runs', 'sits', 'on', 'grass', 'sand', 'ball', 'man'];
const tokenizer = MixedTokenizer.fromJSON({
  type: 'vlm-mixed', version: 1, lowercase: true, maxLength: 10,
  specials: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[UNK_ZH]'], en: words, zh: ['狗', '猫', '红', '蓝'],
});

/** Images with a feature pattern and captions whose words depend on it, so there is something to learn. */
function synthetic(split: 'train' | 'dev', nImages: number, seed: number): SplitData {
  const rng = createRng(seed);
  const dim = TOY_DIM;
  // 16 distinct (a, b) kinds; dev images are all different kinds.
  const { kinds, orig } = toyImages(split, nImages, rng);
  const captions: SplitData['captions'] = [];
  kinds.forEach((k, i) => {
    const a = k % 4;
    const b = Math.floor(k / 4);
    for (let n = 0; n < 3; n++) {
      const text = `${n === 0 ? 'a ' : ''}${['dog', 'cat', 'man', 'ball'][a]} ${['runs', 'sits'][n % 2]} on ${['grass', 'sand', 'red', 'blue'][b]}`;
      captions.push({ imageIndex: i, lang: 'en', ids: Int32Array.from(tokenizer.encode(text)) });
    }
    captions.push({ imageIndex: i, lang: 'zh', ids: Int32Array.from(tokenizer.encode(['狗', '猫', '红', '蓝'][a] + ['红', '蓝', '狗', '猫'][b])) });
  });
  const flip = orig.map((v) => v * 0.9);
  return { split, images: Array.from({ length: nImages }, (_, i) => `img${i}.jpg`), features: [{ key: 'inception_v3/final_gap', dim, orig, flip }], captions };
}

function recipe(dir: string): string {
  const path = join(dir, 'recipe.json');
  writeFileSync(path, JSON.stringify({
    format: 'vlm-dual-encoder', version: 1, name: 'loop-test', embed_dim: 8,
    image: { inputs: [{ source: 'tower', tower: 'inception_v3', tap: 'final_gap', dim: 8 }], head: { type: 'mlp', hidden: 16, input_dropout: 0, dropout: 0 } },
    text: { max_length: 10, word_dim: 4, d_model: 8, layers: 1, heads: 2, embedding_dtype: 'F32', dropout: 0, embed_dropout: 0 },
    loss: { type: 'infonce' },
    training: { batch_size: 8, epochs: 4, lr: 1e-2, lr_embeddings: 1e-2, warmup_steps: 4, patience: 10, seed: 5, eval_langs: ['en', 'zh'] },
  }));
  return path;
}

test('training runs end to end, keeps the best checkpoint, and a killed run resumed gives identical results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-train-'));
  const cfg = recipe(dir);
  const data = { train: synthetic('train', 48, 1), dev: synthetic('dev', 8, 2), tokenizer };

  const full = await train(cfg, join(dir, 'full'), { data, stateDir: join(dir, 'state-full') });
  assert.equal(full.finished, true);
  assert.equal(full.history.length, 4);
  assert.equal(full.steps, 4 * Math.floor(192 / 8));
  assert.ok(full.dev && full.dev.langs.en && full.dev.langs.zh);
  // The toy task is learnable: dev retrieval well above chance (8 images: R@1 chance = 12.5 %).
  assert.ok(full.dev!.langs.en!.t2i.r1 > 40, `dev en t2i R@1 ${full.dev!.langs.en!.t2i.r1}`);
  const log = readFileSync(join(dir, 'full', 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(log.filter((r) => r.type === 'epoch').length, 4);
  const loaded = await loadVlmModel(join(dir, 'full'));
  assert.equal(loaded.embedTexts(['a dog runs'])[0].length, 8);
  loaded.dispose();

  // "Kill" after 5 steps (mid-epoch 1), then after 9 more (mid-epoch 2), then resume to the end.
  const out = join(dir, 'resumed');
  const st = join(dir, 'state-resumed');
  const r1 = await train(cfg, out, { data, stateDir: st, stopAfterSteps: 5 });
  assert.equal(r1.finished, false);
  const r2 = await train(cfg, out, { data, stateDir: st, resume: true, stopAfterSteps: 30 });
  assert.equal(r2.steps, 35);
  const r3 = await train(cfg, out, { data, stateDir: st, resume: true });
  assert.equal(r3.finished, true);
  assert.equal(r3.steps, full.steps);
  assert.deepEqual(r3.history.map((h) => h.dev.meanRecall), full.history.map((h) => h.dev.meanRecall));
  assert.deepEqual(r3.history.map((h) => h.trainLoss), full.history.map((h) => h.trainLoss));
  assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(dir, 'full', 'model.safetensors')));

  // Resuming a finished run does nothing more; a different recipe refuses the old state.
  const again = await train(cfg, out, { data, stateDir: st, resume: true });
  assert.equal(again.steps, full.steps);
  const other = JSON.parse(readFileSync(cfg, 'utf8'));
  other.training.lr = 5e-3;
  writeFileSync(cfg, JSON.stringify(other));
  await assert.rejects(train(cfg, out, { data, stateDir: st, resume: true }), /different config/);
});
