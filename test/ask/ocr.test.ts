import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { closeOcr, readText, tesseractLangPath } from '../../src/apps/ask/ocr-engine.js';
import { renderTextImage, renderTextSet } from '../../src/eval/vqa-render.js';
import { createRng } from '../../src/util/rng.js';
import { repoRoot } from '../../src/util/paths.js';

after(closeOcr);

test('the English OCR weights come from node_modules, not a CDN', () => {
  assert.match(tesseractLangPath(), /node_modules[/\\]@tesseract\.js-data[/\\]eng[/\\]/);
});

test('reads a rendered word and a rendered number exactly', async () => {
  const rng = createRng(3);
  for (const text of ['Harbour Station', '40817']) {
    const img = await renderTextImage(text, rng);
    const r = await readText(img.png);
    assert.equal(r.text, text, `${img.font} ${img.size}px`);
    assert.ok(r.confidence > 0.8 && r.confidence <= 1, `confidence ${r.confidence}`);
  }
});

test('rendered sets are reproducible from the seed and vary', async () => {
  const a = await renderTextSet(6, 11);
  const b = await renderTextSet(6, 11);
  assert.deepEqual(a.map((t) => t.text), b.map((t) => t.text));
  assert.ok(a.every((t, i) => t.png.equals(b[i].png)));
  assert.ok(new Set(a.map((t) => t.font)).size > 1 && new Set(a.map((t) => t.size)).size > 1);
});

test('a photo with no text gives no words (texture is not read as letters)', async () => {
  const r = await readText(join(repoRoot, 'assets', 'demo', 'cat.jpg'));
  assert.equal(r.text, '');
  assert.equal(r.confidence, 0);
});

test('a demo photo of a sign is read', async () => {
  const r = await readText(join(repoRoot, 'assets', 'demo', 'sign-no-parking.jpg'));
  assert.match(r.text, /PARKING/);
});
