import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAdapter, readAdapterFile, saveAdapter } from '../../src/apps/classify/adapter.js';
import { trainAdapterFromFolder } from '../../src/apps/classify/train-adapter.js';
import { UsageError } from '../../src/util/errors.js';
import { drawShape, ShapeEncoder, writePng, type Shape } from './shapes.js';

const CLASSES: [string, string, Shape][] = [['red_square', 'red', 'square'], ['blue_circle', 'blue', 'circle'], ['green_triangle', 'green', 'triangle']];

async function makeFolder(perClass: number, opts: { corrupt?: boolean } = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-fewshot-'));
  for (const [name, colour, shape] of CLASSES) {
    mkdirSync(join(dir, name));
    for (let k = 0; k < perClass; k++) await writePng(join(dir, name, `${k}.png`), drawShape(shape, colour, name.length * 100 + k));
  }
  writeFileSync(join(dir, 'red_square', 'notes.txt'), 'not an image: ignored');
  if (opts.corrupt) writeFileSync(join(dir, 'blue_circle', 'broken.jpg'), 'this is not a JPEG');
  return dir;
}

test('adapter save/load round trip gives the same probabilities, for every method', async () => {
  const enc = new ShapeEncoder();
  const dir = await makeFolder(3);
  const tmp = mkdtempSync(join(tmpdir(), 'vlm-adapter-'));
  const queries = await enc.embedImages([drawShape('circle', 'blue', 901), drawShape('triangle', 'green', 902), drawShape('square', 'red', 903)]);
  try {
    for (const method of ['zeroshot', 'prototype', 'probe', 'tip', 'tip-f'] as const) {
      const { adapter, skipped } = await trainAdapterFromFolder(enc, dir, { method, domain: 'generic', lang: 'en' });
      assert.equal(skipped.length, 0);
      assert.deepEqual(adapter.labels, ['blue_circle', 'green_triangle', 'red_square']);
      assert.deepEqual(adapter.encoder, { id: 'test-shape-encoder', dim: 6 });
      assert.deepEqual(adapter.support.per_class, [3, 3, 3]);
      const path = join(tmp, `${method}.json`);
      saveAdapter(path, adapter);
      const loaded = loadAdapter(path, enc);
      assert.deepEqual(readAdapterFile(path), JSON.parse(JSON.stringify(adapter)));
      const ranked = loaded.rank(queries);
      assert.deepEqual(ranked.map((r) => r[0].label), ['blue_circle', 'green_triangle', 'red_square'], method);
      for (const r of ranked) assert.ok(Math.abs(r.reduce((a, x) => a + x.score, 0) - 1) < 1e-5);
      // Saving the loaded file again gives the same bytes (nothing lost or rounded).
      const again = join(tmp, `${method}-again.json`);
      saveAdapter(again, loaded.file);
      assert.equal(readFileSync(again, 'utf8'), readFileSync(path, 'utf8'));
      const files = [];
      for await (const r of loaded.classifyFiles([join(dir, 'blue_circle', '0.png'), join(dir, 'nope.png')])) files.push(r);
      assert.equal('labels' in files[0] && files[0].labels[0].label, 'blue_circle');
      assert.ok('error' in files[1]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('an adapter used with another model is a clear error', async () => {
  const dir = await makeFolder(2);
  const tmp = mkdtempSync(join(tmpdir(), 'vlm-adapter-'));
  try {
    const { adapter } = await trainAdapterFromFolder(new ShapeEncoder('model-a'), dir, { method: 'tip' });
    const path = join(tmp, 'a.json');
    saveAdapter(path, adapter);
    assert.throws(() => loadAdapter(path, new ShapeEncoder('model-b')), (err: Error) =>
      err instanceof UsageError && /trained for model "model-a".*loaded model is "model-b"/.test(err.message) && /--model/.test(err.message));
    assert.ok(loadAdapter(path, new ShapeEncoder('model-a')));
    writeFileSync(path, JSON.stringify({ hello: 1 }));
    assert.throws(() => loadAdapter(path, new ShapeEncoder('model-a')), /not a vlm adapter/);
    assert.throws(() => loadAdapter(join(tmp, 'missing.json'), new ShapeEncoder('model-a')), /not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('empty and one-class folders are clear errors; unreadable images are skipped with a warning', async () => {
  const enc = new ShapeEncoder();
  const empty = mkdtempSync(join(tmpdir(), 'vlm-empty-'));
  try {
    await assert.rejects(trainAdapterFromFolder(enc, empty, { method: 'probe' }), (e: Error) => e instanceof UsageError && /no labelled images/.test(e.message));
    mkdirSync(join(empty, 'only'));
    await writePng(join(empty, 'only', 'a.png'), drawShape('square', 'red', 1));
    mkdirSync(join(empty, 'hollow')); // a class folder without images does not count
    await assert.rejects(trainAdapterFromFolder(enc, empty, { method: 'probe' }), (e: Error) => e instanceof UsageError && /only one class \("only"\)/.test(e.message));
    await assert.rejects(trainAdapterFromFolder(enc, join(empty, 'nope'), { method: 'probe' }), /not found/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  const dir = await makeFolder(2, { corrupt: true });
  try {
    const warned: string[] = [];
    const { adapter, skipped } = await trainAdapterFromFolder(enc, dir, { method: 'prototype', onSkip: (p) => warned.push(p) });
    assert.deepEqual(warned, [join(dir, 'blue_circle', 'broken.jpg')]);
    assert.equal(skipped.length, 1);
    assert.equal(adapter.support.examples, 6);
    assert.equal(adapter.support.skipped, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a labels file names numbered folders; the names drive the zero-shot prior', async () => {
  const enc = new ShapeEncoder();
  const dir = mkdtempSync(join(tmpdir(), 'vlm-numbered-'));
  try {
    for (const [i, [colour, shape]] of ([['red', 'square'], ['blue', 'circle']] as const).entries()) {
      mkdirSync(join(dir, String(i)));
      await writePng(join(dir, String(i), 'a.png'), drawShape(shape, colour, 40 + i));
    }
    const names = [{ label: '0', synonyms: ['red square', 'red box'] }, { label: '1', synonyms: ['blue circle'] }];
    const { adapter } = await trainAdapterFromFolder(enc, dir, { method: 'zeroshot', names });
    assert.deepEqual(adapter.labels, ['red square', 'blue circle']);
    assert.deepEqual(adapter.support.folders, ['0', '1']);
    assert.deepEqual(adapter.prompts?.names, [['red square', 'red box'], ['blue circle']]);
    const [img] = await enc.embedImages([drawShape('circle', 'blue', 77)]);
    const tmp = join(dir, 'a.json');
    saveAdapter(tmp, adapter);
    assert.equal(loadAdapter(tmp, enc).rank([img])[0][0].label, 'blue circle');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
