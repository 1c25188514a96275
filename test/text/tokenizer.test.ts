import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MixedTokenizer, resolveWord, isSingleUnit } from '../../src/text/index.js';
import { InputError, VlmError } from '../../src/util/errors.js';
import { tiny, tinyJson } from './fixture.js';

const tok = tiny();

test('ids: specials first, then English words, then Chinese characters', () => {
  assert.equal(tok.vocabSize, 5 + tinyJson.en.length + tinyJson.zh.length);
  assert.deepEqual([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.unkZhId], [0, 1, 2, 3, 4]);
  assert.equal(tok.tokenToId('the'), 5);
  assert.equal(tok.tokenToId('一'), 5 + tinyJson.en.length);
  assert.equal(tok.idToToken(tok.tokenToId('狗')!), '狗');
  assert.equal(tok.tokenToId('nope'), undefined);
});

test('English: case and punctuation are dropped', () => {
  assert.deepEqual(tok.tokenize('The DOG, on the grass!'), ['the', 'dog', 'on', 'the', 'grass']);
  assert.deepEqual(tok.tokenize('A dog is in the grass .'), ['a', 'dog', 'is', 'in', 'the', 'grass']);
  assert.deepEqual(tok.tokenize('dog & cat'), ['dog', '&', 'cat']);
  assert.deepEqual(tok.tokenize('3 dogs'), ['3', 'dog']);
});

test("English: possessive 's, attached or split as in Flickr8k, and dropped when unknown", () => {
  assert.deepEqual(tok.tokenize("the dog's ball"), ['the', 'dog', "'s", 'ball']);
  assert.deepEqual(tok.tokenize("the man 's red t-shirt"), ['the', 'man', "'s", 'red', 't-shirt']);
  assert.deepEqual(tok.tokenize('the dog’s ball'), ['the', 'dog', "'s", 'ball']);
  assert.deepEqual(tok.tokenize("the dogs' ball"), ['the', 'dog', 'ball']);
  const noClitic = tiny({ en: tinyJson.en.filter((w) => w !== "'s") });
  assert.deepEqual(noClitic.tokenize("the dog's ball"), ['the', 'dog', 'ball']);
  assert.deepEqual(tok.tokenize("don't run"), ['dont', 'run']);
  assert.deepEqual(tok.tokenize("they aren't running"), ['they', 'are', 'not', 'run']);
  assert.deepEqual(tok.tokenize("they 're running , they'll run"), ['they', 'are', 'run', 'they', 'will', 'run']);
  assert.deepEqual(tok.tokenize("they'd run"), ['they', 'run']);
});

test('English: plural/verb backoff only when the surface form is unknown', () => {
  assert.deepEqual(tok.tokenize('dogs puppies boxes'), ['dog', 'puppy', 'box']);
  assert.deepEqual(tok.tokenize('running jumped riding falling'), ['run', 'jump', 'ride', 'fall']);
  const withPlural = tiny({ en: [...tinyJson.en, 'dogs'] });
  assert.deepEqual(withPlural.tokenize('dogs'), ['dogs']);
});

test('English: hyphenated words are split into parts only when the whole word is unknown', () => {
  assert.deepEqual(tok.tokenize('T-shirt'), ['t-shirt']);
  assert.deepEqual(tok.tokenize('blue-green grass'), ['blue', 'green', 'grass']);
  assert.deepEqual(tok.tokenize('blue-qwzx'), ['blue', '[UNK]']);
  assert.deepEqual(tok.tokenize('qwzx-vbnm'), ['[UNK]']);
  assert.deepEqual(tok.tokenize('dog--cat'), ['dog', 'cat']);
});

test('English: unknown words become [UNK], pictographs too', () => {
  assert.deepEqual(tok.tokenize('the zebra'), ['the', '[UNK]']);
  assert.deepEqual(tok.tokenize('dog 🐶'), ['dog', '[UNK]']);
});

test('Chinese: one token per character, punctuation dropped, unknown characters are [UNK_ZH]', () => {
  assert.deepEqual(tok.tokenize('一只狗在草地上跑。'), ['一', '只', '狗', '在', '草', '地', '上', '跑']);
  assert.deepEqual(tok.tokenize('一只狗，在跑！'), ['一', '只', '狗', '在', '跑']);
  assert.deepEqual(tok.tokenize('一只龙'), ['一', '只', '[UNK_ZH]']);
  assert.deepEqual(tok.tokenize('ＤＯＧ　在跑'), ['dog', '在', '跑']);
});

test('mixed Chinese and English', () => {
  assert.deepEqual(tok.tokenize('一只dog在跑'), ['一', '只', 'dog', '在', '跑']);
  assert.deepEqual(tok.tokenize('a cat 在草地上'), ['a', 'cat', '在', '草', '地', '上']);
});

test('tokenizeDetailed aligns each token with the word it came from', () => {
  const pieces = tok.tokenizeDetailed("The dog's blue-green 狗");
  assert.deepEqual(pieces.map((p) => p.token), ['the', 'dog', "'s", 'blue', 'green', '狗']);
  assert.deepEqual(pieces.map((p) => p.word), ['the', "dog's", "dog's", 'blue-green', 'blue-green', '狗']);
  assert.deepEqual(pieces.map((p) => p.wordIndex), [0, 1, 1, 2, 2, 3]);
  assert.deepEqual(pieces.map((p) => p.id), pieces.map((p) => tok.tokenToId(p.token)));
});

test('encode wraps in [CLS] ... [SEP] and truncates keeping [SEP] last', () => {
  const ids = tok.encode('a dog on the grass');
  assert.deepEqual(ids, [tok.clsId, ...['a', 'dog', 'on', 'the', 'grass'].map((w) => tok.tokenToId(w)!), tok.sepId]);
  const cut = tok.encode('a dog on the grass', { maxLength: 4 });
  assert.deepEqual(cut, [tok.clsId, tok.tokenToId('a'), tok.tokenToId('dog'), tok.sepId]);
  const long = tok.encode(Array(50).fill('dog').join(' '));
  assert.equal(long.length, 32);
  assert.equal(long[31], tok.sepId);
  assert.deepEqual(tok.encode('!!!'), [tok.clsId, tok.sepId]);
});

test('encodeBatch pads with [PAD]=0 and masks the padding', () => {
  const b = tok.encodeBatch(['a dog', '一只狗在跑', 'cat']);
  assert.equal(b.length, 7);
  assert.deepEqual(b.lengths, [4, 7, 3]);
  assert.equal(b.ids.length, 21);
  assert.deepEqual(Array.from(b.ids.slice(0, 7)), [tok.clsId, tok.tokenToId('a'), tok.tokenToId('dog'), tok.sepId, 0, 0, 0]);
  assert.deepEqual(Array.from(b.mask.slice(0, 7)), [1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(b.mask.slice(7, 14)), [1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(b.mask.slice(14)), [1, 1, 1, 0, 0, 0, 0]);
  const fixed = tok.encodeBatch(['a dog'], undefined, { padTo: 10 });
  assert.equal(fixed.length, 10);
  assert.equal(fixed.ids.length, 10);
  const cut = tok.encodeBatch(['a dog on the grass', 'cat'], 4);
  assert.equal(cut.length, 4);
  assert.deepEqual(cut.lengths, [4, 3]);
});

test('empty or whitespace-only text is an InputError', () => {
  for (const t of ['', '   ', '\n\t\u3000', '\u200b']) {
    assert.throws(() => tok.encode(t), (e: unknown) => e instanceof InputError && /empty text/.test((e as Error).message));
  }
  assert.throws(() => tok.encodeBatch(['a dog', ' ']), InputError);
});

test('decode gives readable text without specials', () => {
  assert.equal(tok.decode(tok.encode('一只DOG在跑！')), '一只dog在跑');
  assert.equal(tok.decode(tok.encode("The dog's red T-shirt")), "the dog's red t-shirt");
  assert.equal(tok.decode(tok.encodeBatch(['the zebra', '龙在跑']).ids), 'the [UNK][UNK_ZH]在跑');
});

test('fromFile reads a tokenizer.json; malformed files say what to do', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-tok-'));
  try {
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, JSON.stringify(tinyJson));
    assert.deepEqual(MixedTokenizer.fromFile(path).encode('一只dog'), tok.encode('一只dog'));
    writeFileSync(path, '{oops');
    assert.throws(() => MixedTokenizer.fromFile(path), VlmError);
    assert.throws(() => MixedTokenizer.fromFile(join(dir, 'missing.json')), VlmError);
  } finally {
    rmSync(dir, { recursive: true });
  }
  assert.throws(() => MixedTokenizer.fromJSON({ ...tinyJson, type: 'bpe' }), /type/);
  assert.throws(() => MixedTokenizer.fromJSON({ ...tinyJson, zh: ['狗', '狗'] }), /duplicate/);
  assert.throws(() => MixedTokenizer.fromJSON({ ...tinyJson, specials: ['[UNK]', '[PAD]', '[CLS]', '[SEP]', '[UNK_ZH]'] }), /\[PAD\]/);
});

test('resolveWord and isSingleUnit agree with the vocabulary extractor', () => {
  const vocab = new Set(['dog', 'box', 'oclock']);
  const has = (w: string): boolean => vocab.has(w);
  assert.deepEqual(resolveWord("o'clock", has), ['oclock']);
  assert.deepEqual(resolveWord('dogs', has), ['dog']);
  assert.deepEqual(resolveWord('cat', has), [null]);
  assert.equal(isSingleUnit('t-shirt'), true);
  assert.equal(isSingleUnit("'s"), true);
  assert.equal(isSingleUnit(','), false);
  assert.equal(isSingleUnit('new york'), false);
});
