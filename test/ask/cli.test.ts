import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/util/paths.js';
import { renderTextImage } from '../../src/eval/vqa-render.js';
import { createRng } from '../../src/util/rng.js';

const CLI = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const DOG_BIKE = join(repoRoot, 'assets', 'demo', 'dog-bicycle-truck.jpg');

function vlm(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('vlm ask --json prints one answer object with its skill and confidence', () => {
  const r = vlm('ask', DOG_BIKE, 'how many dogs are there?', '--json');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const a = JSON.parse(lines[0]);
  assert.equal(a.path, DOG_BIKE);
  assert.equal(a.question, 'how many dogs are there?');
  assert.equal(a.skill, 'count');
  assert.equal(a.answer, '1');
  assert.ok(typeof a.confidence === 'number' && a.confidence > 0 && a.confidence <= 1);
});

test('vlm ask (text) names the skill; an unanswerable question says so', () => {
  const r = vlm('ask', DOG_BIKE, 'Why is the dog sitting there?');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /can't answer/);
  assert.match(r.stdout, /skill: unanswerable, confidence 0\.00/);
});

test('vlm ask errors: empty question exits 2, missing or corrupt image exits 1, each with one clear line', () => {
  const empty = vlm('ask', DOG_BIKE, '   ');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /^vlm: the question is empty/m);

  const dir = mkdtempSync(join(tmpdir(), 'vlm-ask-cli-'));
  try {
    const missing = vlm('ask', join(dir, 'nope.jpg'), 'is there a dog?');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^vlm: .*nope\.jpg/m);
    const bad = join(dir, 'bad.png');
    writeFileSync(bad, 'not an image at all');
    const corrupt = vlm('ask', bad, 'is there a dog?');
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /^vlm: /m);
    assert.equal(corrupt.stdout, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A network namespace with no interfaces: any download attempt would fail, so a right answer proves none is needed.
const offline = spawnSync('unshare', ['-n', 'true']).status === 0;

test('vlm ask reads text with no network at all (OCR weights and wasm core from node_modules)', { skip: offline ? false : 'needs `unshare -n` (root, util-linux) to cut the network' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-ask-offline-'));
  try {
    const sign = await renderTextImage('Museum 24', createRng(9));
    const png = join(dir, 'sign.png');
    writeFileSync(png, sign.png);
    const r = spawnSync('unshare', ['-n', process.execPath, CLI, 'ask', png, 'what does the sign say?', '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const a = JSON.parse(r.stdout);
    assert.equal(a.skill, 'ocr');
    assert.equal(a.answer, 'Museum 24');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
