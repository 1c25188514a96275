import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAdapter, readAdapterFile, saveAdapter } from '../../src/apps/classify/adapter.js';
import { trainAdapterFromFolder } from '../../src/apps/classify/train-adapter.js';
import type { FileResult } from '../../src/apps/classify/zero-shot.js';
import { UsageError, VlmError } from '../../src/util/errors.js';
import { drawShape, ShapeEncoder, writePng, type Shape } from './shapes.js';

// The default model's real frozen tower (onnxruntime) at a small input side, so the test takes seconds.
const SPEC = 'tower@64:b6_g2';
const CLASSES: [string, string, Shape][] = [['red_square', 'red', 'square'], ['blue_circle', 'blue', 'circle'], ['green_triangle', 'green', 'triangle']];

test('an adapter on tower features: trained, saved, loaded, it classifies files with the features it was fitted on', async () => {
  const enc = new ShapeEncoder('model-a');
  const dir = mkdtempSync(join(tmpdir(), 'vlm-tower-adapter-'));
  try {
    for (const [name, colour, shape] of CLASSES) {
      mkdirSync(join(dir, 'train', name), { recursive: true });
      for (let k = 0; k < 4; k++) await writePng(join(dir, 'train', name, `${k}.png`), drawShape(shape, colour, 10 * k + name.length, 32));
    }
    const queries: { path: string; label: string }[] = [];
    for (const [name, colour, shape] of CLASSES) {
      for (let k = 0; k < 3; k++) {
        const path = join(dir, `${name}-${k}.png`);
        await writePng(path, drawShape(shape, colour, 500 + 10 * k + name.length, 32));
        queries.push({ path, label: name });
      }
    }
    writeFileSync(join(dir, 'broken.png'), 'not a PNG');

    const { adapter } = await trainAdapterFromFolder(enc, join(dir, 'train'), { method: 'ridge', features: SPEC });
    assert.equal(adapter.features?.spec, SPEC);
    assert.equal(adapter.features?.dim, 4 * 288); // block 6 expansion: 288 channels, 2x2 cells
    assert.equal(adapter.prompts, null); // no text prior on tower features
    assert.deepEqual(adapter.encoder, { id: 'model-a', dim: 6 });
    const path = join(dir, 'adapter.json');
    saveAdapter(path, adapter);
    assert.deepEqual(readAdapterFile(path), JSON.parse(JSON.stringify(adapter)));

    const loaded = loadAdapter(path, enc);
    const results: FileResult[] = [];
    for await (const r of loaded.classifyFiles([...queries.map((q) => q.path), join(dir, 'broken.png')])) results.push(r);
    const right = queries.filter((q, i) => 'labels' in results[i] && results[i].labels[0].label === q.label).length;
    assert.ok(right >= 8, `${right} of 9 query shapes right`);
    assert.ok('error' in results[9], 'the unreadable file comes back with its error');
    const first = results[0];
    assert.ok('labels' in first && first.embedding.length === 4 * 288, 'the result carries the tower features');

    // Another model, a tower tap the model does not have, and rows of the wrong kind are refused clearly.
    assert.throws(() => loadAdapter(path, new ShapeEncoder('model-b')), (e: Error) => e instanceof UsageError && /trained for model "model-a"/.test(e.message));
    const other = JSON.parse(readFileSync(path, 'utf8'));
    other.features.tower = 'inception_v3';
    writeFileSync(join(dir, 'other.json'), JSON.stringify(other));
    assert.throws(() => loadAdapter(join(dir, 'other.json'), enc), (e: Error) => e instanceof UsageError && /tower inception_v3.*retrain/.test(e.message));
    assert.throws(() => loaded.probabilities([new Float32Array(6)]), (e: Error) => e instanceof VlmError && /expected 1152-d tower@64:b6_g2 features, got 6-d/.test(e.message));
    await assert.rejects(
      trainAdapterFromFolder(enc, join(dir, 'train'), { method: 'zeroshot', features: SPEC }),
      (e: Error) => e instanceof UsageError && /zeroshot reads the embedding/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
