import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVlmModel, type LoadedVlm } from '../../src/model/checkpoint.js';
import { readSafetensors, type SafeTensor } from '../../src/model/safetensors.js';
import { loadOnnxTextTower, type OnnxTextTower } from '../../src/model/text-tower-onnx.js';
import { defaultModelDir } from '../../src/util/paths.js';
import { captionLike } from '../encoders/captions.js';

/** The shipped default model's text tower on onnxruntime against the tfjs path it was converted from. */

let vlm: LoadedVlm;
let tensors: Map<string, SafeTensor>;
const towers: OnnxTextTower[] = [];
before(async () => {
  vlm = await loadVlmModel(defaultModelDir);
  tensors = readSafetensors(join(defaultModelDir, 'model.safetensors')).tensors;
});
after(async () => {
  for (const t of towers) await t.dispose();
  vlm.dispose();
});

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  a.forEach((v, i) => {
    assert.equal(v.length, b[i].length);
    for (let j = 0; j < v.length; j++) m = Math.max(m, Math.abs(v[j] - b[i][j]));
  });
  return m;
}

/** One padded batch as MixedTokenizer.encodeBatch makes it (padTo forces extra padding). */
function batch(texts: string[], padTo?: number) {
  const b = vlm.tokenizer.encodeBatch(texts, vlm.config.text.max_length, { padTo });
  return { ids: b.ids, mask: b.mask, length: b.length };
}

for (const fused of [true, false]) {
  test(`onnx text tower (${fused ? 'fused contrib ops' : 'standard ONNX ops'}) matches tfjs on 100 EN + ZH captions within 1e-4`, async (t) => {
    const tower = await loadOnnxTextTower(vlm.config, tensors, { fused, threads: 2 });
    towers.push(tower);
    const texts = captionLike(100, 7);
    assert.ok(texts.some((t) => /[\u4e00-\u9fff]/.test(t)) && texts.some((t) => /^[a-z]/.test(t)), 'both languages are covered');
    const want = vlm.embedTexts(texts);
    // One batch padded to the longest caption (lengths 3..24 in one batch: the padding mask matters).
    const got = await tower.embedTokenIds(batch(texts));
    const d = maxAbsDiff(want, got);
    t.diagnostic(`max abs difference onnx vs tfjs: ${d.toExponential(2)}`);
    assert.ok(d < 1e-4, `max abs difference ${d}`);
    for (const v of got) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5, 'L2-normalised');
  });
}

test('onnx text tower: any batch size and padded length gives the same embedding', async () => {
  const tower = await loadOnnxTextTower(vlm.config, tensors, { threads: 2 });
  towers.push(tower);
  const texts = captionLike(9, 11);
  const all = await tower.embedTokenIds(batch(texts));
  const one = (await Promise.all(texts.map((t) => tower.embedTokenIds(batch([t]))))).flat();
  const padded = await tower.embedTokenIds(batch(texts, vlm.config.text.max_length));
  assert.ok(maxAbsDiff(all, one) < 1e-5, `batched vs one by one ${maxAbsDiff(all, one)}`);
  assert.ok(maxAbsDiff(all, padded) < 1e-5, `padding to max_length ${maxAbsDiff(all, padded)}`);
  // Different captions give different embeddings (the output depends on the ids, not only on the shapes).
  assert.ok(maxAbsDiff([all[0]], [all[1]]) > 1e-2);
});

test('onnx text tower refuses sequences longer than text.max_length', async () => {
  const tower = await loadOnnxTextTower(vlm.config, tensors, { threads: 1 });
  towers.push(tower);
  const T = vlm.config.text.max_length + 1;
  await assert.rejects(tower.embedTokenIds({ ids: new Int32Array(T).fill(2), mask: new Float32Array(T).fill(1), length: T }), /max_length/);
});

test('with a cacheKey the converted graph is written once under cacheDir("onnx") and reused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-text-onnx-'));
  const old = process.env.VLM_CACHE;
  process.env.VLM_CACHE = dir;
  try {
    const texts = captionLike(4, 5);
    const a = await loadOnnxTextTower(vlm.config, tensors, { threads: 1, cacheKey: 'k1' });
    const first = await a.embedTokenIds(batch(texts));
    await a.dispose();
    assert.deepEqual(readdirSync(join(dir, 'onnx')), ['text-tower.k1.v1.onnx']);
    const b = await loadOnnxTextTower(vlm.config, tensors, { threads: 1, cacheKey: 'k1' });
    assert.deepEqual(await b.embedTokenIds(batch(texts)), first);
    await b.dispose();
  } finally {
    if (old === undefined) delete process.env.VLM_CACHE;
    else process.env.VLM_CACHE = old;
    rmSync(dir, { recursive: true, force: true });
  }
});
