import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaptionDecoderConfig } from '../../src/model/caption-config.js';
import { batchMemoryKeys, beamSearch, disposeKeys, stepLogProbs } from '../../src/model/caption-beam.js';
import { copyFileSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCaptioner } from '../../src/apps/caption/captioner.js';
import { createCaptionModel, loadCaptionModel, saveCaptionModel } from '../../src/model/caption-model.js';
import { VlmError } from '../../src/util/errors.js';
import { CaptionVocab, LANG_TOKEN } from '../../src/model/caption-vocab.js';
import { initTf } from '../../src/model/tf.js';
import { createRng } from '../../src/util/rng.js';

const texts = ['a dog runs on the grass', 'two men sit on a bench', 'a girl jumps into the water'];

function tiny(seed: number, words = texts) {
  const cfg: CaptionDecoderConfig = {
    format: 'vlm-caption-decoder', version: 1, tower: 'mobilenet_v2_mid', tap: 'final_map', map_shape: [2, 2, 8],
    d_model: 32, layers: 1, heads: 2, mlp_ratio: 2, dropout: 0, max_length: 8,
    vocab: CaptionVocab.build(words.map((text) => ({ text, lang: 'en' as const })), 1).json,
  };
  return createCaptionModel(cfg, createRng(seed));
}

test('an ensemble of a decoder with itself decodes exactly as the decoder alone', async () => {
  await initTf();
  const a = tiny(1);
  const rng = createRng(7);
  const maps = [0, 1].map(() => Float32Array.from({ length: 32 }, () => rng() * 2));
  const alone = beamSearch(a, maps, { lang: 'en', beam: 3 });
  const twice = beamSearch(a, maps, { lang: 'en', beam: 3, ensemble: [a] });
  assert.deepEqual(twice.map((b) => b.map((h) => h.text)), alone.map((b) => b.map((h) => h.text)));
  twice.flat().forEach((h, i) => assert.ok(Math.abs(h.logp - alone.flat()[i].logp) < 1e-4));
  a.dispose();
});

test('a two-decoder ensemble picks by the mean of both log-probabilities', async () => {
  await initTf();
  const a = tiny(1);
  const b = tiny(2);
  const rng = createRng(8);
  const map = Float32Array.from({ length: 32 }, () => rng() * 2);
  const [from, to] = a.vocab.ranges.en;
  // First-step log-probabilities of each decoder; [END] (local 0) is not allowed before two tokens.
  const first = [a, b].map((m) => {
    const keys = batchMemoryKeys(m, [map]);
    const { lp, nextCache } = stepLogProbs(m, keys, [0], Int32Array.of(LANG_TOKEN.en), 0, undefined, [0], from, to);
    disposeKeys(nextCache);
    disposeKeys(keys);
    return lp;
  });
  const argmax = (f: (j: number) => number) => {
    let best = 1;
    for (let j = 2; j < first[0].length; j++) if (f(j) > f(best)) best = j;
    return from + best - 1;
  };
  const mean = argmax((j) => first[0][j] + first[1][j]);
  assert.notEqual(argmax((j) => first[0][j]), argmax((j) => first[1][j]), 'the two decoders should disagree for this check to mean something');
  const ens = beamSearch(a, [map], { lang: 'en', beam: 1, ensemble: [b] })[0][0];
  assert.equal(ens.ids[0], mean);
  // A decoder with another vocabulary cannot join.
  const c = tiny(3, ['a cat']);
  assert.throws(() => beamSearch(a, [map], { lang: 'en', beam: 1, ensemble: [c] }), /share the vocabulary/);
  for (const m of [a, b, c]) m.dispose();
});

test('a model folder whose caption.json names ensemble members decodes with them, and says so when one is missing', async () => {
  await initTf();
  const a = tiny(1);
  const b = tiny(2);
  const dir = mkdtempSync(join(tmpdir(), 'vlm-ens-'));
  const other = mkdtempSync(join(tmpdir(), 'vlm-ens-b-'));
  try {
    saveCaptionModel(b, other);
    copyFileSync(join(other, 'caption.safetensors'), join(dir, 'caption-2.safetensors'));
    saveCaptionModel(a, dir, { decode: { beam: 2, ensemble: ['caption-2.safetensors'] } });
    const rng = createRng(9);
    const maps = [0, 1].map(() => Float32Array.from({ length: 32 }, () => rng() * 2));
    const A = await loadCaptionModel(dir);
    const B = await loadCaptionModel(dir, 'caption-2.safetensors');
    const want = beamSearch(A, maps, { lang: 'en', beam: 2, ensemble: [B] }).map((bs) => bs.map((h) => h.text));
    const alone = beamSearch(A, maps, { lang: 'en', beam: 2 }).map((bs) => bs.map((h) => h.text));
    assert.notDeepEqual(want, alone, 'the member should change the beams for this check to mean something');
    const cap = await loadCaptioner(dir);
    assert.deepEqual(cap.beams(maps, { lang: 'en' }).map((bs) => bs.map((h) => h.text)), want);
    await cap.dispose();
    A.dispose();
    B.dispose();
    unlinkSync(join(dir, 'caption-2.safetensors'));
    await assert.rejects(loadCaptioner(dir), (e: unknown) => e instanceof VlmError && /caption-2\.safetensors is missing/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
    a.dispose();
    b.dispose();
  }
});
