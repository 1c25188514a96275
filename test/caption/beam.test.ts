import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lengthPenalty, repeatsNgram } from '../../src/model/caption-beam.js';
import { CaptionVocab, END, LANG_TOKEN, UNK, chineseChars, englishWords } from '../../src/model/caption-vocab.js';
import { rerankBest, rerankTerms } from '../../src/apps/caption/rerank.js';

test('repeatsNgram blocks only exact repeats of the final n-gram', () => {
  assert.equal(repeatsNgram([5, 6, 7, 5, 6], 7, 3), true);
  assert.equal(repeatsNgram([5, 6, 7, 5, 6], 8, 3), false);
  assert.equal(repeatsNgram([5, 6], 5, 3), false);
  assert.equal(repeatsNgram([5], 5, 2), false);
  assert.equal(repeatsNgram([5, 5], 5, 2), true);
  assert.equal(repeatsNgram([5, 6, 7], 5, 0), false);
});

test('GNMT length penalty', () => {
  assert.equal(lengthPenalty(7, 0), 1);
  assert.ok(Math.abs(lengthPenalty(7, 1) - 2) < 1e-12);
  assert.ok(lengthPenalty(20, 0.7) > lengthPenalty(10, 0.7));
});

test('caption vocabulary: frequent words and characters, language blocks, encode/decode', () => {
  const v = CaptionVocab.build(
    [
      { text: 'A dog runs.', lang: 'en' },
      { text: 'a dog jumps', lang: 'en' },
      { text: '一只狗。', lang: 'zh' },
      { text: '一只猫', lang: 'zh' },
    ],
    2,
  );
  assert.deepEqual(v.json.en, ['a', 'dog']);
  assert.deepEqual(v.json.zh, ['一', '只']);
  const ids = v.encode('A dog sleeps', 'en', 10);
  assert.equal(ids[0], LANG_TOKEN.en);
  assert.equal(ids.at(-1), END);
  assert.equal(ids[3], UNK);
  assert.equal(v.decode(ids.slice(1), 'en'), 'a dog');
  const v2 = CaptionVocab.build([{ text: "a girl 's dog", lang: 'en' }], 1);
  assert.equal(v2.decode(v2.encode("a girl's dog", 'en', 10).slice(1), 'en'), "a girl's dog");
  assert.equal(v.decode(v.encode('一只狗', 'zh', 10).slice(1), 'zh'), '一只');
  // Truncation keeps [END]: maxLength counts it.
  assert.equal(v.encode('a a a a a a', 'en', 3).length, 4);
  const en = v.allowedMask('en');
  assert.equal(en[END], 1);
  assert.equal(en[v.ranges.zh[0]], 0);
  assert.equal(en[UNK], 0);
});

test('metric tokens: English words without punctuation, Chinese characters', () => {
  assert.deepEqual(englishWords("A man's dog, running."), ['a', 'man', 's', 'dog', 'running']);
  assert.deepEqual(englishWords("a girl 's dress"), ['a', 'girl', 's', 'dress']);
  assert.deepEqual(chineseChars('两个人, 在 walk。'), ['两', '个', '人', '在']);
});

test('rerank adds weighted contrastive scores to the decoder scores', () => {
  const hyps = [
    { ids: [5], text: 'a', logp: -1, score: -1 },
    { ids: [6], text: 'b', logp: -1.2, score: -1.2 },
  ];
  assert.equal(rerankBest(hyps, rerankTerms([0.1, 0.3], 10, 0)), 0);
  assert.equal(rerankBest(hyps, rerankTerms([0.1, 0.3], 10, 0.5)), 1);
});
