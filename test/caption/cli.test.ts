import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hasCaptionDecoder } from '../../src/model/caption-model.js';
import { defaultModelDir, repoRoot } from '../../src/util/paths.js';
import { loadEncoder } from '../../src/encoders/load.js';
import { captionForServer } from '../../src/apps/caption/feature.js';
import { decodeImage } from '../../src/image/decode.js';
import { readFileSync } from 'node:fs';

const CLI = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const DOG = join(repoRoot, 'assets', 'demo', 'dog-bicycle-truck.jpg');
const HORSES = join(repoRoot, 'assets', 'demo', 'horses.jpg');
const skip = hasCaptionDecoder(defaultModelDir) ? false : 'needs the shipped caption decoder (models/default/caption.*)';
const vlm = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

test('vlm caption --json: one English line per image, in order, with a score in (0, 1]', { skip }, () => {
  const r = vlm('caption', DOG, HORSES, '--json', '--beam', '2');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; caption: string; score: number; lang: string });
  assert.deepEqual(lines.map((l) => l.path), [DOG, HORSES]);
  for (const l of lines) {
    assert.match(l.caption, /^[a-z' -]+$/, l.caption);
    assert.ok(l.caption.split(' ').length >= 2);
    assert.ok(l.score > 0 && l.score <= 1);
    assert.equal(l.lang, 'en');
  }
});

test('vlm caption --lang zh answers in Chinese characters; bad input exits non-zero', { skip }, () => {
  const r = vlm('caption', HORSES, '--lang', 'zh');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.trim(), /^\p{Script=Han}{2,}$/u);
  const missing = vlm('caption', join(repoRoot, 'no-such-file.jpg'));
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /no such image file/);
  const badLang = vlm('caption', HORSES, '--lang', 'fr');
  assert.equal(badLang.status, 2);
});

test('POST /v1/caption feature: decoded pixels in, a caption out', { skip }, async () => {
  const img = await decodeImage(readFileSync(DOG));
  // the served encoder's folder (here models/default) supplies the decoder
  const enc = await loadEncoder();
  try {
    const r = await captionForServer(enc, img, { lang: 'en' });
    assert.equal(r.lang, 'en');
    assert.ok(r.caption.length > 3);
    assert.ok(r.score > 0 && r.score <= 1);
  } finally {
    await enc.dispose();
  }
});
