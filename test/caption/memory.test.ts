import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MEMORY_JSON, readCaptionMemory, writeCaptionMemory } from '../../src/apps/caption/caption-memory.js';
import { rerankBest, rerankTerms } from '../../src/apps/caption/rerank.js';
import { checkCaptionConfig } from '../../src/model/caption-config.js';
import type { BeamHypothesis } from '../../src/model/caption-beam.js';

/** Four memory images on the axes of a 4-d space: two of dogs on grass, one of a cyclist, one of a beach. */
function withMemory(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-memory-'));
  try {
    const embeddings = new Float32Array(16);
    for (let i = 0; i < 4; i++) embeddings[i * 4 + i] = 1;
    writeCaptionMemory(dir, {
      encoderId: 'vlm:test@000000000000',
      source: 'test',
      images: ['dog1.jpg', 'dog2.jpg', 'bike.jpg', 'beach.jpg'],
      dim: 4,
      embeddings,
      captions: {
        en: [
          ['a brown dog runs on the grass', 'a dog running through green grass'],
          ['a black dog runs across the grass', 'the dog plays on the lawn'],
          ['a man rides a bike down the road', 'a cyclist on a mountain bike'],
          ['people walk along the beach', 'a child plays in the sand'],
        ],
      },
    });
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('caption memory: nearest images by cosine, consensus favours what the neighbours say', () => {
  withMemory((dir) => {
    const m = readCaptionMemory(dir, 'vlm:test@000000000000');
    assert.equal(m.size, 4);
    // closest to dog1, then dog2, then the others
    const q = Float32Array.from([0.8, 0.6, 0, 0]);
    assert.deepEqual(m.neighbours(q, 2), [0, 1]);
    const cands = ['a dog runs on the grass', 'a man rides a bike'];
    const [dog, bike] = m.consensus(cands, q, 'en', 2);
    assert.ok(dog > 0.5 && bike < dog / 5, `dog ${dog} vs bike ${bike}`);
    // the same candidates for a cyclist's embedding swap order
    const [dog2, bike2] = m.consensus(cands, Float32Array.from([0, 0, 1, 0]), 'en', 1);
    assert.ok(bike2 > dog2, `bike ${bike2} vs dog ${dog2}`);
    assert.throws(() => m.consensus(cands, q, 'zh', 2), /no zh captions/);
    assert.throws(() => m.neighbours(Float32Array.from([1, 0]), 1), /2 values, the memory 4/);
  });
});

test('caption memory: other weights, missing or broken files are refused with how to rebuild', () => {
  withMemory((dir) => {
    assert.throws(() => readCaptionMemory(dir, 'vlm:other@111111111111'), /holds embeddings of vlm:test@000000000000.*caption-memory\.js/);
    writeFileSync(join(dir, MEMORY_JSON), '{ not json');
    assert.throws(() => readCaptionMemory(dir, 'vlm:test@000000000000'), /not valid JSON.*caption-memory\.js/);
  });
  const empty = mkdtempSync(join(tmpdir(), 'vlm-memory-'));
  try {
    assert.throws(() => readCaptionMemory(empty, 'x'), /caption_memory\.json.*missing.*caption-memory\.js --model/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('re-ranking terms: the memory consensus adds at its weight and can change the pick', () => {
  const hyp = (text: string, score: number): BeamHypothesis => ({ text, score, logp: score, ids: [1, 2] });
  const hs = [hyp('first', -1), hyp('second', -1.2)];
  const cos = [0.3, 0.305];
  assert.deepEqual(rerankTerms(cos, 10, 2).map((x) => +x.toFixed(6)), [6, 6.1]);
  assert.equal(rerankBest(hs, rerankTerms(cos, 10, 2)), 0, 'the contrastive gain (0.1) does not pay for the decoder gap (0.2)');
  const terms = rerankTerms(cos, 10, 2, { scores: [0.1, 0.4], weight: 2 });
  assert.deepEqual(terms.map((x) => +x.toFixed(6)), [6.2, 6.9]);
  assert.equal(rerankBest(hs, terms), 1);
});

test('caption.json decode.memory is checked', () => {
  const base = { format: 'vlm-caption-decoder', version: 1, d_model: 8, layers: 1, heads: 2, max_length: 4, map_shape: [1, 1, 2], vocab: { specials: [], en: [], zh: [] } } as never;
  const withMem = (memory: unknown) => checkCaptionConfig({ ...(base as object), decode: { memory } } as never, 'test');
  assert.doesNotThrow(() => withMem({ k: 15, weight: { en: 8 } }));
  for (const bad of [{ k: 0, weight: { en: 1 } }, { k: 5 }, { k: 5, weight: null }, { k: 5, weight: { fr: 1 } }, { k: 5, weight: { en: -1 } }, 'yes']) {
    assert.throws(() => withMem(bad), /decode\.memory must be/);
  }
});
