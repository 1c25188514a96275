import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseModelConfig } from '../../src/model/config.js';
import { MixedTokenizer } from '../../src/text/tokenizer.js';
import { epochPlan, makeBatch, VIEW_CROP0, VIEW_FLIP, VIEW_ORIG } from '../../src/train/batches.js';
import { train } from '../../src/train/train.js';
import type { SplitData } from '../../src/train/training-data.js';
import { createRng } from '../../src/util/rng.js';
import { TOY_DIM, toyImages } from './toy-split.js';

process.env.VLM_QUIET = '1';

const counts = (views: Uint8Array, k: number) => Array.from({ length: k }, (_, v) => views.filter((x) => x === v).length);

test('epoch plan with crop views: same order, views uniform over orig/flip/crops, reproducible', () => {
  const n = 4000;
  const base = epochPlan(n, 32, 7, 1, true);
  const a = epochPlan(n, 32, 7, 1, true, undefined, 2);
  assert.deepEqual(a, epochPlan(n, 32, 7, 1, true, undefined, 2));
  // The permutation is drawn first, so crop views change only which features a sample uses.
  assert.deepEqual(a.order, base.order);
  const c = counts(a.views, 5);
  assert.equal(c[4], 0);
  for (const k of c.slice(0, 4)) assert.ok(Math.abs(k - n / 4) < 150, `view counts ${c}`);
  // Without flip_augment the mirrored view is never chosen.
  const noFlip = counts(epochPlan(n, 32, 7, 1, false, undefined, 2).views, 4);
  assert.equal(noFlip[VIEW_FLIP], 0);
  for (const v of [VIEW_ORIG, VIEW_CROP0, VIEW_CROP0 + 1]) assert.ok(Math.abs(noFlip[v] - n / 3) < 150, `view counts ${noFlip}`);
  // crop_views 0 is the old plan exactly (same draws).
  assert.deepEqual(epochPlan(n, 32, 7, 1, true, undefined, 0), base);
});

function table(nImages: number, dim: number, crops: number): SplitData['features'][number] {
  // Row value = 100 * view + image index: a batch shows which view each sample got.
  const fill = (view: number) => Float32Array.from({ length: nImages * dim }, (_, i) => 100 * view + Math.floor(i / dim));
  return { key: 'x/final_gap', dim, orig: fill(VIEW_ORIG), flip: fill(VIEW_FLIP), ...(crops ? { crops: Array.from({ length: crops }, (_, k) => fill(VIEW_CROP0 + k)) } : {}) };
}

test('makeBatch takes each sample from its planned view and refuses a crop view that was not loaded', () => {
  const nImages = 10;
  const captions = Array.from({ length: 40 }, (_, i) => ({ imageIndex: i % nImages, lang: 'en' as const, ids: Int32Array.from([2, 5 + (i % 3), 3]) }));
  const data: SplitData = { split: 'train', images: Array.from({ length: nImages }, (_, i) => `${i}.jpg`), features: [table(nImages, 3, 2)], captions };
  const plan = epochPlan(captions.length, 8, 3, 0, true, undefined, 2);
  const seen = new Set<number>();
  for (let b = 0; b < plan.batches; b++) {
    const batch = makeBatch(data, plan, b, 8);
    for (let r = 0; r < 8; r++) {
      const c = plan.order[b * 8 + r];
      const want = 100 * plan.views[c] + captions[c].imageIndex;
      assert.deepEqual([...batch.inputs[0].subarray(r * 3, r * 3 + 3)], [want, want, want]);
      seen.add(plan.views[c]);
    }
  }
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3]);
  const noCrops = { ...data, features: [table(nImages, 3, 0)] };
  const b = plan.views.findIndex((v) => v >= VIEW_CROP0);
  const batchOf = Math.floor(plan.order.indexOf(b) / 8);
  assert.throws(() => makeBatch(noCrops, plan, batchOf, 8), /crop view \d was not loaded/);
});

test('config: training.crop_views is optional, recorded only when given, and validated', () => {
  const minimal = {
    format: 'vlm-dual-encoder', version: 1, name: 'c', embed_dim: 8,
    image: { inputs: [{ source: 'tower', tower: 'inception_v3', tap: 'final_gap', dim: 8 }] },
    text: {}, loss: {}, training: {},
  };
  assert.equal('crop_views' in parseModelConfig(minimal).training!, false);
  assert.equal(parseModelConfig({ ...minimal, training: { crop_views: 2 } }).training!.crop_views, 2);
  assert.throws(() => parseModelConfig({ ...minimal, training: { crop_views: 1.5 } }), /crop_views must be an integer/);
  assert.throws(() => parseModelConfig({ ...minimal, training: { crop_views: -1 } }), /crop_views must be >= 0/);
});

const words = ['a', 'dog', 'cat', 'man', 'ball', 'on', 'grass', 'sand', 'red', 'blue'];
const tokenizer = MixedTokenizer.fromJSON({
  type: 'vlm-mixed', version: 1, lowercase: true, maxLength: 10, specials: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[UNK_ZH]'], en: words, zh: [],
});

/** A learnable toy split; crop views are noisy copies of the image's features (what real crops look like). */
function synthetic(split: 'train' | 'dev', nImages: number, seed: number, crops: number): SplitData {
  const rng = createRng(seed);
  const dim = TOY_DIM;
  const { kinds, orig } = toyImages(split, nImages, rng);
  const captions: SplitData['captions'] = [];
  kinds.forEach((k, i) => {
    for (let n = 0; n < 3; n++) {
      const text = `a ${['dog', 'cat', 'man', 'ball'][k % 4]} on ${['grass', 'sand', 'red', 'blue'][Math.floor(k / 4)]}`;
      captions.push({ imageIndex: i, lang: 'en', ids: Int32Array.from(tokenizer.encode(text)) });
    }
  });
  const noisy = () => orig.map((v) => v + 0.3 * (rng() - 0.5));
  const features = [{ key: 'inception_v3/final_gap', dim, orig, flip: orig.map((v) => v * 0.9), ...(crops ? { crops: Array.from({ length: crops }, noisy) } : {}) }];
  return { split, images: Array.from({ length: nImages }, (_, i) => `img${i}.jpg`), features, captions };
}

test('training with crop_views uses the crop features, and a killed run resumed gives identical results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-crop-train-'));
  const cfg = join(dir, 'recipe.json');
  const recipe = {
    format: 'vlm-dual-encoder', version: 1, name: 'crop-test', embed_dim: 8,
    image: { inputs: [{ source: 'tower', tower: 'inception_v3', tap: 'final_gap', dim: 8 }], head: { type: 'mlp', hidden: 16, input_dropout: 0, dropout: 0 } },
    text: { max_length: 10, word_dim: 4, d_model: 8, layers: 1, heads: 2, embedding_dtype: 'F32', dropout: 0, embed_dropout: 0 },
    loss: { type: 'infonce' },
    training: { batch_size: 8, epochs: 2, lr: 1e-2, lr_embeddings: 1e-2, warmup_steps: 2, patience: 10, seed: 5, langs: ['en'], eval_langs: ['en'], crop_views: 2 },
  };
  writeFileSync(cfg, JSON.stringify(recipe));
  const data = { train: synthetic('train', 32, 1, 2), dev: synthetic('dev', 8, 2, 0), tokenizer };

  const full = await train(cfg, join(dir, 'full'), { data, stateDir: join(dir, 'state-full') });
  assert.equal(full.finished, true);
  assert.equal(full.steps, 2 * Math.floor(96 / 8));
  const saved = JSON.parse(readFileSync(join(dir, 'full', 'config.json'), 'utf8'));
  assert.equal(saved.training.crop_views, 2);

  // Other crop features -> other training: the crop rows are really used.
  const other = { ...data, train: { ...data.train, features: data.train.features.map((f) => ({ ...f, crops: f.crops!.map((c) => c.map((v) => -v)) })) } };
  const changed = await train(cfg, join(dir, 'changed'), { data: other, stateDir: join(dir, 'state-changed') });
  assert.notDeepEqual(changed.history.map((h) => h.trainLoss), full.history.map((h) => h.trainLoss));

  const out = join(dir, 'resumed');
  const st = join(dir, 'state-resumed');
  assert.equal((await train(cfg, out, { data, stateDir: st, stopAfterSteps: 7 })).finished, false);
  const r = await train(cfg, out, { data, stateDir: st, resume: true });
  assert.equal(r.steps, full.steps);
  assert.deepEqual(r.history.map((h) => h.trainLoss), full.history.map((h) => h.trainLoss));
  assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(dir, 'full', 'model.safetensors')));

  // Data without the crop views the recipe asks for is refused up front.
  const bare = { ...data, train: synthetic('train', 32, 1, 0) };
  await assert.rejects(train(cfg, join(dir, 'bare'), { data: bare, stateDir: join(dir, 'state-bare') }), /crop_views is 2 but inception_v3\/final_gap has 0/);
});
