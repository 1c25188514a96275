import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitFewShot } from '../../src/apps/classify/fit-fewshot.js';
import { fewShotLogits, FEWSHOT_METHODS, LEARNING_METHODS, type FewShotMethod } from '../../src/apps/classify/fewshot-model.js';
import { argmaxRows, normalizeRows, stack } from '../../src/apps/classify/matrix.js';
import { labelVectors } from '../../src/apps/classify/zero-shot.js';
import { drawShape, ShapeEncoder, type Shape } from './shapes.js';

const CLASSES: [string, Shape][] = [['red', 'square'], ['red', 'circle'], ['blue', 'square'], ['blue', 'triangle'], ['green', 'circle'], ['yellow', 'triangle']];
const enc = new ShapeEncoder();

async function embedSet(perClass: number, seed: number) {
  const images = CLASSES.flatMap(([colour, shape], c) => Array.from({ length: perClass }, (_, k) => ({ img: drawShape(shape, colour, seed * 1000 + c * 100 + k), c })));
  const X = normalizeRows(stack(await enc.embedImages(images.map((x) => x.img))));
  return { X, y: images.map((x) => x.c) };
}

async function prior(names: string[]) {
  return stack((await labelVectors(enc, names.map((label) => ({ label, synonyms: [] })), { lang: 'en' })).weights);
}

function accuracy(method: FewShotMethod, fit: ReturnType<typeof fitFewShot>, test: { X: ReturnType<typeof stack>; y: number[] }) {
  const pred = argmaxRows(fewShotLogits(fit.params, test.X), CLASSES.length);
  assert.equal(fit.params.method, method);
  assert.ok(fit.temperature > 0 && Number.isFinite(fit.temperature), `${method}: temperature ${fit.temperature}`);
  return pred.filter((p, i) => p === test.y[i]).length / test.y.length;
}

test('every method classifies coloured shapes named by colour and shape (4 shots)', async () => {
  const train = await embedSet(4, 1);
  const test = await embedSet(10, 2);
  const zeroShot = await prior(CLASSES.map(([c, s]) => `${c} ${s}`));
  for (const method of FEWSHOT_METHODS) {
    const acc = accuracy(method, fitFewShot(method, { ...train, classes: CLASSES.length, zeroShot, seed: 0 }), test);
    assert.ok(acc >= 0.95, `${method}: accuracy ${acc}`);
  }
});

test('with meaningless label names zero-shot is at chance, and every few-shot method learns from the examples', async () => {
  const train = await embedSet(4, 3);
  const test = await embedSet(10, 4);
  const zeroShot = await prior(CLASSES.map((_, i) => `class number ${i}`)); // no colour or shape words: all alike
  const zs = accuracy('zeroshot', fitFewShot('zeroshot', { ...train, classes: CLASSES.length, zeroShot }), test);
  assert.ok(zs <= 1 / CLASSES.length + 1e-9, `zero-shot ${zs}`);
  for (const method of LEARNING_METHODS) {
    const acc = accuracy(method, fitFewShot(method, { ...train, classes: CLASSES.length, zeroShot, seed: 0 }), test);
    assert.ok(acc >= 0.95, `${method}: accuracy ${acc}`);
  }
});

test('one shot per class: every method fits, and the prior-based ones are at least as good as zero-shot', async () => {
  const train = await embedSet(1, 5);
  const test = await embedSet(10, 6);
  const zeroShot = await prior(CLASSES.map(([c, s]) => `${c} ${s}`));
  const zs = accuracy('zeroshot', fitFewShot('zeroshot', { ...train, classes: CLASSES.length, zeroShot }), test);
  for (const method of LEARNING_METHODS) {
    const acc = accuracy(method, fitFewShot(method, { ...train, classes: CLASSES.length, zeroShot, seed: 0 }), test);
    assert.ok(acc >= (method === 'prototype' ? 0.8 : zs - 1e-9), `${method}: accuracy ${acc} (zero-shot ${zs})`);
  }
});

test('without a text prior (zeroShot: null) the learning methods still work; calibrated zero-shot refuses', async () => {
  const train = await embedSet(3, 7);
  const test = await embedSet(8, 8);
  for (const method of LEARNING_METHODS) {
    const acc = accuracy(method, fitFewShot(method, { ...train, classes: CLASSES.length, zeroShot: null, seed: 1 }), test);
    assert.ok(acc >= 0.95, `${method}: accuracy ${acc}`);
  }
  assert.throws(() => fitFewShot('zeroshot', { ...train, classes: CLASSES.length, zeroShot: null }), /text prior/);
});

test('fitting is deterministic for a seed', async () => {
  const train = await embedSet(3, 9);
  const zeroShot = await prior(CLASSES.map(([c, s]) => `${c} ${s}`));
  for (const method of ['probe', 'tip-f'] as const) {
    const a = fitFewShot(method, { ...train, classes: CLASSES.length, zeroShot, seed: 4 });
    const b = fitFewShot(method, { ...train, classes: CLASSES.length, zeroShot, seed: 4 });
    assert.deepEqual(fewShotLogits(a.params, train.X), fewShotLogits(b.params, train.X));
    assert.deepEqual(a.info, b.info);
  }
});
