import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptionDecoderConfig } from '../../src/model/caption-config.js';
import { batchMemoryKeys, disposeKeys, stepLogProbs } from '../../src/model/caption-beam.js';
import { createCaptionModel } from '../../src/model/caption-model.js';
import { sampleCaptions } from '../../src/model/caption-sample.js';
import { CaptionVocab, LANG_TOKEN } from '../../src/model/caption-vocab.js';
import { initTf } from '../../src/model/tf.js';
import { ciderD, ciderDocFreq } from '../../src/eval/caption-metrics/index.js';
import { AdamW, SparseAdamW } from '../../src/train/adamw.js';
import { scstBatch, scstReferences } from '../../src/train/caption-scst.js';
import { captionTrainStep } from '../../src/train/caption-step.js';
import { createRng } from '../../src/util/rng.js';

const refs = [
  ['a dog runs on the grass', 'a brown dog runs on grass', 'the dog runs on the grass', 'a dog is running on the grass', 'a dog runs'],
  ['two men sit on a bench', 'two men are sitting on a bench', 'men sit on the bench', 'two men sit on a wooden bench', 'two people sit on a bench'],
];

function tiny(seed: number) {
  const cfg: CaptionDecoderConfig = {
    format: 'vlm-caption-decoder', version: 1, tower: 'mobilenet_v2_mid', tap: 'final_map', map_shape: [2, 2, 8],
    d_model: 32, layers: 1, heads: 2, mlp_ratio: 2, dropout: 0, max_length: 10,
    vocab: CaptionVocab.build(refs.flat().map((text) => ({ text, lang: 'en' as const })), 1).json,
  };
  const rng = createRng(seed);
  const model = createCaptionModel(cfg, rng);
  const maps = [0, 1].map(() => Float32Array.from({ length: 32 }, () => rng() * 2));
  return { model, maps };
}

test('CIDEr-D with the corpus document frequencies passed in equals the default', () => {
  const w = (s: string) => s.split(' ');
  const h = [w('a dog runs'), w('two men')];
  const r = refs.map((rs) => rs.map(w));
  assert.deepEqual(ciderD(h, r, { docFreq: ciderDocFreq(r) }), ciderD(h, r));
  // Statistics of a larger corpus change the weights (and so the score).
  const big = ciderDocFreq([...r, [w('a dog runs')], [w('a dog')]]);
  assert.notEqual(ciderD(h, r, { docFreq: big }).score, ciderD(h, r).score);
});

test('sampled first tokens follow the decoder\'s own distribution', async () => {
  await initTf();
  const { model, maps } = tiny(4);
  const [from, to] = model.vocab.ranges.en;
  const keys = batchMemoryKeys(model, [maps[0]]);
  const { lp, nextCache } = stepLogProbs(model, keys, [0], Int32Array.of(LANG_TOKEN.en), 0, undefined, [0], from, to);
  disposeKeys(nextCache);
  disposeKeys(keys);
  const n = 3000;
  const s = sampleCaptions(model, [maps[0]], { lang: 'en', samples: n, rng: createRng(9) })[0];
  const count = new Map<number, number>();
  for (const c of s) {
    // local index 0 is [END]: an empty caption that ended at once
    const j = c.ids.length === 0 ? 0 : c.ids[0] - from + 1;
    count.set(j, (count.get(j) ?? 0) + 1);
    assert.ok(c.ids.every((id) => id >= from && id < to), 'only tokens of the language block');
    assert.ok(c.ended || c.ids.length === model.config.max_length);
  }
  for (let j = 0; j < lp.length; j++) {
    const p = Math.exp(lp[j]);
    const f = (count.get(j) ?? 0) / n;
    assert.ok(Math.abs(f - p) < 4 * Math.sqrt((p * (1 - p)) / n) + 1e-3, `token ${j}: sampled ${f.toFixed(4)}, model ${p.toFixed(4)}`);
  }
  model.dispose();
});

test('self-critical steps raise the CIDEr-D reward of the decoder\'s samples (and the opposite sign lowers it)', async () => {
  await initTf();
  const split = { images: ['a.jpg', 'b.jpg'], captions: { en: refs, zh: [[], []] } };
  const R = scstReferences(split, ['en']);
  // Same start, same random draws; only the sign of the advantages differs.
  const run = (sign: 1 | -1) => {
    const { model, maps } = tiny(2);
    const flat = new Float32Array(64);
    flat.set(maps[0], 0);
    flat.set(maps[1], 32);
    const dense = new AdamW(model.params, { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0 });
    const sparse = new SparseAdamW(model.embedding, { beta1: 0.9, beta2: 0.98, eps: 1e-8 });
    const rng = createRng(5);
    const rewards: number[] = [];
    for (let s = 0; s < 100; s++) {
      const { batch, reward } = scstBatch(model, flat, [0, 1], 'en', R, { samples: 6, rng, maxLength: 10 });
      // The baseline is the mean of the other samples: each image's advantages sum to zero.
      for (let i = 0; i < 2; i++) {
        let sum = 0;
        for (let c = 0; c < 6; c++) sum += batch.weights![c * 2 + i];
        assert.ok(Math.abs(sum) < 1e-4);
      }
      rewards.push(reward);
      captionTrainStep(model, { ...batch, weights: batch.weights!.map((w) => sign * w) }, { dense, sparse, lr: 1e-2, gradClip: 1, smoothing: 0, seed: () => s, dropout: false });
    }
    model.dispose();
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    return { first: mean(rewards.slice(0, 20)), last: mean(rewards.slice(-20)) };
  };
  const up = run(1);
  const down = run(-1);
  const msg = `mean sampled CIDEr-D, first 20 -> last 20 of 100 steps: ${up.first.toFixed(3)} -> ${up.last.toFixed(3)} self-critical, ${down.first.toFixed(3)} -> ${down.last.toFixed(3)} with the sign flipped`;
  assert.ok(up.last > 1.3 * up.first && down.last < 0.7 * down.first, msg);
});

test('reference captions anchor a self-critical batch at a fixed weight, in the same row layout', async () => {
  await initTf();
  const { model, maps } = tiny(3);
  const split = { images: ['a.jpg', 'b.jpg'], captions: { en: refs, zh: [[], []] } };
  const R = scstReferences(split, ['en']);
  const flat = new Float32Array(64);
  flat.set(maps[0], 0);
  flat.set(maps[1], 32);
  const seqs = [refs[0][0], refs[1][0]].map((t) => model.vocab.encode(t, 'en', 10));
  const { batch } = scstBatch(model, flat, [0, 1], 'en', R, { samples: 3, rng: createRng(1), maxLength: 10, anchor: { seqs, weight: 0.5 } });
  assert.equal(batch.rows, 8);
  assert.deepEqual(Array.from(batch.weights!.slice(6)), [0.5, 0.5]);
  // anchor row 6 is image 0's reference (row r shows image r % 2)
  assert.deepEqual(Array.from(batch.ids.slice(6 * (batch.T + 1), 6 * (batch.T + 1) + seqs[0].length)), seqs[0]);
  assert.throws(() => scstBatch(model, flat, [0, 1], 'en', R, { samples: 3, rng: createRng(1), maxLength: 10, anchor: { seqs: seqs.slice(0, 1), weight: 0.5 } }), /multiple of the 2 images/);
  model.dispose();
});
