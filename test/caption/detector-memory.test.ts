import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCaptionConfig, memoryRow, memoryRowLength, type CaptionDecoderConfig } from '../../src/model/caption-config.js';
import { beamSearch } from '../../src/model/caption-beam.js';
import { createCaptionModel, loadCaptionModel, saveCaptionModel } from '../../src/model/caption-model.js';
import { CaptionVocab } from '../../src/model/caption-vocab.js';
import { initTf } from '../../src/model/tf.js';
import { AdamW, SparseAdamW } from '../../src/train/adamw.js';
import { captionTrainStep } from '../../src/train/caption-step.js';
import { packIds } from '../../src/train/caption-train.js';
import { createRng } from '../../src/util/rng.js';
import { VlmError } from '../../src/util/errors.js';

const captions = ['a dog runs on the grass', 'two men sit on a bench'];

function detConfig(): CaptionDecoderConfig {
  return {
    format: 'vlm-caption-decoder', version: 1, tower: 'mobilenet_v2_mid', tap: 'final_map', map_shape: [2, 2, 8],
    d_model: 32, layers: 1, heads: 2, mlp_ratio: 2, dropout: 0, max_length: 12,
    detector: { kind: 'centernet', dim: 6, tokens: 2 },
    vocab: CaptionVocab.build(captions.map((text) => ({ text, lang: 'en' as const })), 1).json,
  };
}

test('the detector tokens carry information: two images with the same map but different detector rows get their own captions', async () => {
  await initTf();
  const cfg = detConfig();
  const rng = createRng(5);
  const model = createCaptionModel(cfg, rng);
  const map = Float32Array.from({ length: 32 }, () => rng());
  const dets = [Float32Array.from([0.9, 0, 0, 1, 0, 0]), Float32Array.from([0, 0.9, 0, 0, 2, 0])];
  const rows = dets.map((d) => memoryRow(cfg, map, d));
  assert.equal(rows[0].length, memoryRowLength(cfg));
  const flat = new Float32Array(2 * rows[0].length);
  flat.set(rows[0], 0);
  flat.set(rows[1], rows[0].length);
  const { ids, T } = packIds(captions.map((c) => model.vocab.encode(c, 'en', cfg.max_length)));
  const dense = new AdamW(model.params, { beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0 });
  const sparse = new SparseAdamW(model.embedding, { beta1: 0.9, beta2: 0.98, eps: 1e-8 });
  for (let s = 0; s < 150; s++) captionTrainStep(model, { maps: flat, images: 2, rows: 2, ids, T, lang: 'en' }, { dense, sparse, lr: 3e-3, gradClip: 1, smoothing: 0, seed: () => s });
  const out = beamSearch(model, rows, { lang: 'en', beam: 2, noRepeatNgram: 0 }).map((b) => b[0].text);
  assert.deepEqual(out, captions);

  // Saved and loaded with its detector parameters, it decodes the same.
  const dir = mkdtempSync(join(tmpdir(), 'vlm-capdet-'));
  try {
    saveCaptionModel(model, dir);
    const back = await loadCaptionModel(dir);
    assert.deepEqual(back.config.detector, cfg.detector);
    assert.deepEqual(beamSearch(back, rows, { lang: 'en', beam: 2, noRepeatNgram: 0 }).map((b) => b[0].text), captions);
    back.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});

test('a decoder that takes detector rows refuses input without one, and bad detector configs are refused', () => {
  const cfg = detConfig();
  assert.throws(() => memoryRow(cfg, new Float32Array(32)), /needs a 6-float detector row/);
  assert.throws(() => memoryRow(cfg, new Float32Array(32), new Float32Array(5)), /needs a 6-float detector row/);
  const plain = { ...cfg, detector: undefined };
  const map = new Float32Array(32);
  assert.equal(memoryRow(plain, map), map);
  assert.equal(memoryRowLength(plain), 32);
  assert.throws(() => checkCaptionConfig({ ...cfg, detector: { kind: 'centernet', dim: 6, tokens: 0 } }, 'x'), VlmError);
});
