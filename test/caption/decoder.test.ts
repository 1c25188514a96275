import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaptionDecoderConfig } from '../../src/model/caption-config.js';
import { beamSearch } from '../../src/model/caption-beam.js';
import { createCaptionModel, loadCaptionModel, saveCaptionModel } from '../../src/model/caption-model.js';
import { CaptionVocab } from '../../src/model/caption-vocab.js';
import { initTf } from '../../src/model/tf.js';
import { AdamW, SparseAdamW } from '../../src/train/adamw.js';
import { captionTrainStep } from '../../src/train/caption-step.js';
import { packIds } from '../../src/train/caption-train.js';
import { loadCaptioner } from '../../src/apps/caption/index.js';
import { createRng } from '../../src/util/rng.js';
import { VlmError } from '../../src/util/errors.js';

const captions = [
  { text: 'a dog runs on the grass', lang: 'en' as const },
  { text: 'two men sit on a bench', lang: 'en' as const },
  { text: '一只狗在草地上跑', lang: 'zh' as const },
  { text: '两个男人坐在长椅上', lang: 'zh' as const },
];

function tinyConfig(): CaptionDecoderConfig {
  return {
    format: 'vlm-caption-decoder', version: 1, tower: 'mobilenet_v2_mid', tap: 'final_map', map_shape: [2, 2, 8],
    d_model: 32, layers: 1, heads: 2, mlp_ratio: 2, dropout: 0, max_length: 12,
    vocab: CaptionVocab.build(captions, 1).json,
  };
}

test('the decoder learns two images\' captions in both languages, and beam search reads them back', async () => {
  await initTf();
  const cfg = tinyConfig();
  const rng = createRng(3);
  const model = createCaptionModel(cfg, rng);
  const vocab = model.vocab;
  // Two "images": distinct random maps.
  const maps = [0, 1].map(() => Float32Array.from({ length: 32 }, () => rng() * 2));
  const flat = new Float32Array(64);
  flat.set(maps[0], 0);
  flat.set(maps[1], 32);
  const dense = new AdamW(model.params, { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0 });
  const sparse = new SparseAdamW(model.embedding, { beta1: 0.9, beta2: 0.98, eps: 1e-8 });
  // One batch per language, rows image-major.
  const batch = (lang: 'en' | 'zh') => {
    const { ids, T } = packIds(captions.filter((c) => c.lang === lang).map((c) => vocab.encode(c.text, c.lang, cfg.max_length)));
    return { maps: flat, images: 2, rows: 2, ids, T, lang };
  };
  let first = 0;
  let last = 0;
  for (let s = 0; s < 120; s++) {
    const r = captionTrainStep(model, batch(s % 2 ? 'zh' : 'en'), { dense, sparse, lr: 3e-3, gradClip: 1, smoothing: 0, seed: () => s });
    if (s < 2) first += r.nll / 2;
    if (s >= 118) last += r.nll / 2;
  }
  assert.ok(last < first / 10, `training NLL should fall: ${first} -> ${last}`);
  const en = beamSearch(model, maps, { lang: 'en', beam: 2, noRepeatNgram: 0 });
  const zh = beamSearch(model, maps, { lang: 'zh', beam: 1, noRepeatNgram: 0 });
  assert.equal(en[0][0].text, 'a dog runs on the grass');
  assert.equal(en[1][0].text, 'two men sit on a bench');
  assert.equal(zh[0][0].text, '一只狗在草地上跑');
  assert.equal(zh[1][0].text, '两个男人坐在长椅上');
  assert.ok(en[0].length <= 2 && en[0][0].score >= (en[0][1]?.score ?? -Infinity));

  // Saved (F16) and reloaded weights decode the same captions.
  const dir = mkdtempSync(join(tmpdir(), 'vlm-cap-'));
  try {
    saveCaptionModel(model, dir);
    const again = await loadCaptionModel(dir);
    assert.equal(beamSearch(again, maps, { lang: 'en', beam: 2, noRepeatNgram: 0 })[1][0].text, 'two men sit on a bench');
    again.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});

test('no-repeat-ngram blocking changes a caption that would repeat itself', async () => {
  await initTf();
  const cfg = { ...tinyConfig(), vocab: CaptionVocab.build([{ text: 'a dog a dog a dog', lang: 'en' }], 1).json };
  const rng = createRng(5);
  const model = createCaptionModel(cfg, rng);
  const map = Float32Array.from({ length: 32 }, () => rng());
  const dense = new AdamW(model.params, { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0 });
  const sparse = new SparseAdamW(model.embedding, { beta1: 0.9, beta2: 0.98, eps: 1e-8 });
  const { ids, T } = packIds([model.vocab.encode('a dog a dog a dog', 'en', cfg.max_length)]);
  for (let s = 0; s < 80; s++) captionTrainStep(model, { maps: map, images: 1, rows: 1, ids, T, lang: 'en' }, { dense, sparse, lr: 3e-3, gradClip: 1, smoothing: 0, seed: () => s });
  assert.equal(beamSearch(model, [map], { lang: 'en', beam: 1, noRepeatNgram: 0 })[0][0].text, 'a dog a dog a dog');
  const blocked = beamSearch(model, [map], { lang: 'en', beam: 1, noRepeatNgram: 2 })[0][0].text;
  assert.notEqual(blocked, 'a dog a dog a dog');
  assert.ok(!/a dog.*a dog/.test(blocked), blocked);
  model.dispose();
});

test('loadCaptioner says clearly when a model folder has no caption decoder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-nocap-'));
  try {
    await assert.rejects(loadCaptioner(dir), (e: unknown) => e instanceof VlmError && /no caption decoder/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cached one-step decoding matches the full causal decoder', async () => {
  const { tf } = await import('../../src/model/tf.js');
  const { decodeHidden, decodeStep, encodeMemory, memoryKeys } = await import('../../src/model/caption-decoder.js');
  await initTf();
  const cfg = { ...tinyConfig(), layers: 2 };
  const rng = createRng(11);
  const model = createCaptionModel(cfg, rng);
  const R = 2;
  const T = 5;
  const map = Float32Array.from({ length: R * 32 }, () => rng());
  const ids = Int32Array.from({ length: R * T }, () => 5 + Math.floor(rng() * 5));
  const full = tf.tidy(() => {
    const mem = memoryKeys(model.params, cfg, encodeMemory(model.params, cfg, tf.tensor2d(map, [R, 32]), false));
    return decodeHidden(model.params, cfg, tf.tensor3d(model.embedding.gather(ids), [R, T, cfg.d_model]), mem, false).arraySync() as number[][][];
  });
  let cache: ReturnType<typeof decodeStep>['cache'] | undefined;
  for (let t = 0; t < T; t++) {
    const step = decodeStep(
      model.params, cfg,
      tf.tensor3d(model.embedding.gather([ids[t], ids[T + t]]), [R, 1, cfg.d_model]),
      t, cache,
      memoryKeys(model.params, cfg, encodeMemory(model.params, cfg, tf.tensor2d(map, [R, 32]), false)),
    );
    cache = step.cache;
    const h = step.hidden.arraySync() as number[][];
    for (let r = 0; r < R; r++) for (let j = 0; j < cfg.d_model; j++) assert.ok(Math.abs(h[r][j] - full[r][t][j]) < 1e-4, `row ${r} pos ${t} dim ${j}`);
  }
  model.dispose();
});
