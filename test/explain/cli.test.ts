import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { tempDir, writeClipFixture } from '../library/fixtures.js';
import { repoRoot } from '../../src/util/paths.js';
import { runNode, type CliRun } from '../cli-run.js';

const cli = fileURLToPath(new URL('./cli-child.js', import.meta.url));
const tmp = tempDir(after, 'vlm-explain-cli-');
const photo = join(repoRoot, 'assets', 'demo', 'cat.jpg');
let model: string;

function vlm(args: string[]): Promise<CliRun> {
  return runNode(cli, args, tmp);
}

before(() => {
  model = writeClipFixture(tmp);
});

test('vlm explain --out --json: overlay at the image size, the grid and the words (any encoder: occlusion)', async () => {
  const out = join(tmp, 'heat.png');
  const r = await vlm(['explain', photo, 'a cat on a sofa', '--out', out, '--json', '--model', model]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { path: string; text: string; width: number; height: number; grid: number[][]; words: { word: string; contribution: number }[]; method: string };
  const meta = await sharp(photo).metadata();
  const heat = await sharp(readFileSync(out)).metadata();
  assert.deepEqual([heat.width, heat.height, heat.format], [meta.width, meta.height, 'png']);
  assert.deepEqual([j.width, j.height], [meta.width, meta.height]);
  assert.equal(j.method, 'occlusion');
  assert.equal(j.grid.length, 6);
  assert.deepEqual(j.words.map((w) => w.word), ['a', 'cat', 'on', 'a', 'sofa']);
});

test('vlm explain fails clearly on a non-image, an empty text, a control character, and dense on an ONNX model', async () => {
  const notImage = join(tmp, 'notes.txt');
  writeFileSync(notImage, 'hello, this is text\n');
  let r = await vlm(['explain', notImage, 'a cat', '--model', model]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^vlm: .*notes\.txt: not an image/);
  r = await vlm(['explain', photo, '  ', '--model', model]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^vlm: the text is empty/);
  r = await vlm(['explain', photo, 'a cat\u001b[2J', '--model', model]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /control character U\+001B/);
  r = await vlm(['explain', photo, 'a cat', '--method', 'dense', '--model', model]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--method dense needs a vlm model folder/);
  r = await vlm(['explain', join(tmp, 'missing.jpg'), 'a cat']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /file not found/);
});
