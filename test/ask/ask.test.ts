import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEncoder } from '../../src/encoders/load.js';
import type { Encoder } from '../../src/encoders/encoder.js';
import { createAsker, type Asker } from '../../src/apps/ask/index.js';
import { renderTextImage } from '../../src/eval/vqa-render.js';
import { FEATURE_LOADERS } from '../../src/server/features.js';
import { decodeImage } from '../../src/image/decode.js';
import { InputError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/rng.js';
import { defaultModelDir, repoRoot } from '../../src/util/paths.js';

// darknet's test photos (see assets/demo/SOURCES.md): a dog, a bicycle and a truck, no people; one person with a dog and a horse.
const DOG_BIKE = join(repoRoot, 'assets', 'demo', 'dog-bicycle-truck.jpg');
const PERSON = join(repoRoot, 'assets', 'demo', 'person-dog-horse.jpg');

let encoder: Encoder;
let asker: Asker;
let tmp: string;

before(async () => {
  encoder = await loadEncoder();
  asker = createAsker(encoder);
  tmp = mkdtempSync(join(tmpdir(), 'vlm-ask-'));
});

after(async () => {
  await asker?.dispose();
  await encoder?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('the shipped calibration belongs to the default model', () => {
  assert.equal(asker.calibrated, true, 'src/apps/ask/calibration.json is missing or was fitted for another encoder: run `vlm eval vqa --dataset flickr8k --calibrate`');
});

test('yes/no on a photo whose content is known, in English and Chinese', async () => {
  const img = asker.image(DOG_BIKE);
  const cases: [string, boolean][] = [['Is there a dog?', true], ['is there a bicycle?', true], ['is there a giraffe?', false], ['is there an elephant?', false], ['有狗吗', true], ['图中有斑马吗？', false]];
  for (const [q, truth] of cases) {
    const a = await asker.ask(img, q);
    assert.equal(a.skill, 'verify', q);
    assert.equal(a.value, truth, `${q} -> ${a.answer} ${JSON.stringify(a.detail)}`);
    assert.ok(a.confidence >= 0.5 && a.confidence <= 1, `${q}: confidence ${a.confidence}`);
  }
  assert.equal((await asker.ask(img, '有狗吗')).answer, '有');
  assert.equal((await asker.ask(img, 'is there a giraffe?')).answer, 'no');
});

test('counting with the detector', async () => {
  const dogs = await asker.ask(DOG_BIKE, 'How many dogs are there?');
  assert.equal(dogs.skill, 'count');
  assert.equal(dogs.value, 1, JSON.stringify(dogs.detail));
  assert.equal(dogs.answer, '1');
  const person = asker.image(PERSON);
  assert.equal((await asker.ask(person, 'how many people are there?')).value, 1);
  assert.equal((await asker.ask(person, '有几个人？')).value, 1);
  assert.equal((await asker.ask(DOG_BIKE, 'how many giraffes are there?')).value, 0);
});

test('reading text: the OCR skill on a rendered sign', async () => {
  const sign = await renderTextImage('Garden Cafe', createRng(5));
  const a = await asker.ask(sign.png, 'What does the sign say?');
  assert.equal(a.skill, 'ocr');
  assert.equal(a.answer, 'Garden Cafe');
  const zh = await asker.ask(sign.png, '上面写着什么？');
  assert.equal(zh.skill, 'ocr');
  assert.equal(zh.value, 'Garden Cafe');
});

test('"what is in the image" uses the caption decoder, or says it has none', async () => {
  const a = await asker.ask(DOG_BIKE, 'What is in the image?');
  if (existsSync(join(defaultModelDir, 'caption.json'))) {
    assert.equal(a.skill, 'caption');
    assert.ok(a.answer.split(' ').length >= 3, a.answer);
    assert.ok(a.confidence > 0 && a.confidence <= 1);
  } else {
    assert.equal(a.skill, 'unanswerable');
    assert.match(a.answer, /caption/);
  }
});

test('an unanswerable question is answered as such, not guessed', async () => {
  const a = await asker.ask(DOG_BIKE, 'Why is the dog sitting there?');
  assert.equal(a.skill, 'unanswerable');
  assert.equal(a.confidence, 0);
  assert.equal(a.value, undefined);
  assert.match(a.answer, /can't answer/);
  const zh = await asker.ask(DOG_BIKE, '这只狗为什么坐着？');
  assert.equal(zh.skill, 'unanswerable');
  assert.match(zh.answer, /回答不了/);
});

test('errors: empty question, missing file, corrupt image', async () => {
  await assert.rejects(asker.ask(DOG_BIKE, '   '), InputError);
  await assert.rejects(asker.ask(join(tmp, 'nope.jpg'), 'is there a dog?'), (err: Error) => err instanceof InputError && /nope\.jpg/.test(err.message));
  const bad = join(tmp, 'bad.jpg');
  writeFileSync(bad, Buffer.from('\xff\xd8\xff\xe0 this is not really a jpeg', 'latin1'));
  await assert.rejects(asker.ask(bad, 'is there a dog?'), InputError);
});

test('the server feature answers through the same asker', async () => {
  const loader = FEATURE_LOADERS.ask;
  assert.ok(loader, 'POST /v1/ask is registered in src/server/features.ts');
  const ask = await loader();
  const r = await ask(encoder, await decodeImage(DOG_BIKE), 'how many dogs are there?');
  assert.equal(r.skill, 'count');
  assert.equal(r.answer, '1');
});
