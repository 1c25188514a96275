import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFixture } from '../../scripts/fixtures/checkpoints.js';
import { tempDir, writeClipFixture } from '../library/fixtures.js';
import { drawShape, writePng, type Shape } from './shapes.js';
import { runNode, type CliRun } from '../cli-run.js';

const cli = fileURLToPath(new URL('./cli-child.js', import.meta.url));
const tmp = tempDir(after, 'vlm-classify-cli-');
const support = join(tmp, 'support');
let modelA: string;
let modelB: string;

function vlm(args: string[]): Promise<CliRun> {
  return runNode(cli, args, tmp);
}

const CLASSES: [string, string, Shape][] = [['red_square', 'red', 'square'], ['blue_circle', 'blue', 'circle'], ['green_triangle', 'green', 'triangle']];

before(async () => {
  modelA = writeClipFixture(tmp);
  // Same architecture, other weights and name: another model, so another embedding space.
  modelB = writeFixture('clip', join(tmp, 'other-clip'), { seed: 2 }).dir;
  const config = JSON.parse(readFileSync(join(modelB, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(modelB, 'config.json'), JSON.stringify({ ...config, _name_or_path: 'vlm-fixtures/other-clip' }));
  for (const [name, colour, shape] of CLASSES) {
    mkdirSync(join(support, name), { recursive: true });
    for (let k = 0; k < 3; k++) await writePng(join(support, name, `${k}.png`), drawShape(shape, colour, 10 * k + name.length, 48));
  }
});

test('vlm fewshot train -> vlm classify --adapter: round trip on the same model, JSON per image', async () => {
  const out = join(tmp, 'proto.json');
  const t = await vlm(['fewshot', 'train', support, '--method', 'prototype', '--out', out, '--model', modelA, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const summary = JSON.parse(t.stdout.trim()) as { labels: string[]; examples: number };
  assert.deepEqual(summary.labels, ['blue_circle', 'green_triangle', 'red_square']);
  assert.equal(summary.examples, 9);
  // The support images themselves: a prototype classifier on any encoder puts most next to their own class mean.
  const images = CLASSES.map(([name]) => join(support, name, '0.png'));
  const c = await vlm(['classify', ...images, '--adapter', out, '--model', modelA, '--top', '3', '--json']);
  assert.equal(c.code, 0, c.stderr);
  const lines = c.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; labels: { label: string; score: number }[] });
  assert.deepEqual(lines.map((l) => l.path), images);
  for (const l of lines) {
    assert.deepEqual(l.labels.map((x) => x.label).sort(), summary.labels);
    assert.ok(Math.abs(l.labels.reduce((a, x) => a + x.score, 0) - 1) < 1e-4);
    assert.ok(l.labels[0].score >= l.labels[1].score);
  }
});

test('an adapter used with another model exits 2 and names both models', async () => {
  const out = join(tmp, 'tip.json');
  assert.equal((await vlm(['fewshot', 'train', support, '--method', 'tip', '--out', out, '--model', modelA])).code, 0);
  const r = await vlm(['classify', join(support, 'red_square', '0.png'), '--adapter', out, '--model', modelB]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^vlm: .*trained for model "onnx:clip:tiny-clip:.*loaded model is "onnx:clip:other-clip:/);
  assert.equal(r.stdout, '');
  const both = await vlm(['classify', join(support, 'red_square', '0.png'), '--adapter', out, '--labels', 'a,b', '--model', modelA]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /either --adapter FILE or labels/);
});

test('an empty or one-class folder is a usage error (exit 2) with a one-line message', async () => {
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  const r = await vlm(['fewshot', 'train', empty, '--out', join(tmp, 'x.json'), '--model', modelA]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^vlm: .*no labelled images/);
  const one = join(tmp, 'one');
  mkdirSync(join(one, 'only'), { recursive: true });
  await writePng(join(one, 'only', 'a.png'), drawShape('square', 'red', 1, 48));
  writeFileSync(join(one, 'readme.txt'), 'not a class');
  const o = await vlm(['fewshot', 'train', one, '--out', join(tmp, 'y.json'), '--model', modelA]);
  assert.equal(o.code, 2);
  assert.match(o.stderr, /only one class/);
  assert.equal(o.stderr.trim().split('\n').length, 1);
});

test('vlm eval fewshot checks its options before loading anything', async () => {
  const bad = await vlm(['eval', 'fewshot', '--dataset', 'cifar', '--model', modelA]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /supports --dataset gtsrb, fashion-mnist, medpix/);
  const split = await vlm(['eval', 'fewshot', '--dataset', 'gtsrb', '--split', 'train', '--model', modelA]);
  assert.equal(split.code, 2);
  assert.match(split.stderr, /--split must be test/);
  const shots = await vlm(['eval', 'fewshot', '--dataset', 'gtsrb', '--shots', '1,zero', '--model', modelA]);
  assert.equal(shots.code, 2);
  assert.match(shots.stderr, /--shots takes positive whole numbers/);
});

test('vlm eval fewshot --features tower:... needs one of our own models (a frozen tower), else exit 2', async () => {
  const r = await vlm(['eval', 'fewshot', '--dataset', 'gtsrb', '--features', 'tower:b13_gap', '--model', modelA]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /needs one of our own models.*--features embedding/);
  const bad = await vlm(['eval', 'fewshot', '--dataset', 'gtsrb', '--features', 'pixels', '--model', modelA]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--features must be "embedding" or "tower\[@side\]:<tap>/);
});

test('vlm fewshot train --features tower@...: the adapter reads the default model\'s tower, vlm classify --adapter uses it', async () => {
  const out = join(tmp, 'tower-ridge.json');
  const t = await vlm(['fewshot', 'train', support, '--method', 'ridge', '--features', 'tower@64:b6_g2', '--out', out, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const summary = JSON.parse(t.stdout.trim()) as { features: string; examples: number };
  assert.equal(summary.features, 'tower@64:b6_g2');
  assert.equal(summary.examples, 9);
  const images = CLASSES.map(([name]) => join(support, name, '1.png'));
  const c = await vlm(['classify', ...images, '--adapter', out, '--json']);
  assert.equal(c.code, 0, c.stderr);
  const lines = c.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; labels: { label: string; score: number }[] });
  assert.deepEqual(lines.map((l) => l.labels[0].label), CLASSES.map(([name]) => name)); // its own support images
  // Another model (no frozen tower, another id): exit 2.
  const other = await vlm(['classify', images[0], '--adapter', out, '--model', modelA]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /^vlm: .*trained for model/);
  const noTower = await vlm(['fewshot', 'train', support, '--features', 'tower:b13_g2', '--out', join(tmp, 'z.json'), '--model', modelA]);
  assert.equal(noTower.code, 2);
  assert.match(noTower.stderr, /needs one of our own models/);
});
