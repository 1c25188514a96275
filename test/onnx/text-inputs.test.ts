import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAllFixtures, type Fixture, type FixtureKind } from '../../scripts/fixtures/checkpoints.js';
import { resolveLayout } from '../../src/encoders/onnx/layout.js';
import { TextTokenizer } from '../../src/encoders/onnx/text-inputs.js';

let root: string;
let fx: Record<FixtureKind, Fixture>;
const tok = (k: FixtureKind): TextTokenizer => new TextTokenizer(resolveLayout(fx[k].dir, 'fp32'));
const vocab = (k: FixtureKind): Record<string, number> => (fx[k].tokenizer.tokenizer.model as { vocab: Record<string, number> }).vocab;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'vlm-onnx-text-'));
  fx = writeAllFixtures(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('each family gets its own length and padding', () => {
  assert.deepEqual(tok('clip').policy, { maxLength: 77, padding: 'longest', padId: vocab('clip')['<|endoftext|>'] });
  assert.deepEqual(tok('siglip').policy, { maxLength: 64, padding: 'max_length', padId: 1 });
  assert.deepEqual(tok('chinese_clip').policy, { maxLength: 52, padding: 'longest', padId: vocab('chinese_clip')['[PAD]'] });
});

test('CLIP pads to the longest text with EOS, with a mask over the real tokens', () => {
  const v = vocab('clip');
  const b = tok('clip').encode(['a dog', 'a photo of a dog']);
  assert.equal(b.length, 7);
  const [bos, eos] = [v['<|startoftext|>'], v['<|endoftext|>']];
  assert.deepEqual(b.inputIds.slice(0, 7), [bos, v['a</w>'], v['dog</w>'], eos, eos, eos, eos]);
  assert.deepEqual(b.attentionMask.slice(0, 7), [1, 1, 1, 1, 0, 0, 0]);
});

test('SigLIP always pads to 64', () => {
  const b = tok('siglip').encode(['a dog']);
  assert.equal(b.length, 64);
  const pieces = (fx.siglip.tokenizer.tokenizer.model as { vocab: [string, number][] }).vocab.map(([p]) => p);
  assert.deepEqual(b.inputIds.slice(0, 3), [pieces.indexOf('▁a'), pieces.indexOf('▁dog'), 1]);
  assert.deepEqual(b.inputIds.slice(3), new Array(61).fill(1), '</s> then 61 pads, all id 1');
});

test('SigLIP text is canonicalised as Python\'s SiglipTokenizer does: lower case, no punctuation, single spaces', () => {
  const t = tok('siglip');
  assert.deepEqual(t.ids('  A Dog,  on the GRASS!! '), t.ids('a dog on the grass'));
  assert.notDeepEqual(t.ids('a dog'), t.ids('a cat'));
  // CLIP and Chinese-CLIP leave that to their tokenizer.json (which lower-cases but keeps punctuation)
  assert.notDeepEqual(tok('clip').ids('a dog!'), tok('clip').ids('a dog'));
  assert.deepEqual(tok('clip').ids('A DOG'), tok('clip').ids('a dog'));
});

test('Chinese-CLIP splits Chinese into characters between [CLS] and [SEP]', () => {
  const v = vocab('chinese_clip');
  assert.deepEqual(tok('chinese_clip').ids('一只狗'), [v['[CLS]'], v['一'], v['只'], v['狗'], v['[SEP]']]);
});

test('truncation keeps the closing special token', () => {
  const clip = tok('clip').ids('dog '.repeat(200));
  assert.equal(clip.length, 77);
  assert.equal(clip[76], vocab('clip')['<|endoftext|>']);
  assert.equal(clip[75], vocab('clip')['dog</w>']);
  const zh = tok('chinese_clip').ids('狗'.repeat(100));
  assert.equal(zh.length, 52);
  assert.equal(zh[51], vocab('chinese_clip')['[SEP]']);
  const sig = tok('siglip').encode(['dog '.repeat(100)]);
  assert.equal(sig.length, 64);
  assert.equal(sig.inputIds[63], 1);
});
