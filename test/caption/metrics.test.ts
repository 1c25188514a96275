import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ciderD, corpusBleu, corpusRougeL, lcsLength, rougeL, scoreCaptions } from '../../src/eval/caption-metrics/index.js';

const w = (s: string) => s.split(' ');
const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} != ${b}`);

test('BLEU-1..4 on a hand-computed pair', () => {
  // the cat sat on the mat / the cat is on the mat: 1-grams 5/6, 2-grams 3/5, 3-grams 1/4, 4-grams 0/3; equal length.
  const [b1, b2, b3, b4] = corpusBleu([w('the cat sat on the mat')], [[w('the cat is on the mat')]]);
  close(b1, 5 / 6);
  close(b2, Math.sqrt(0.5));
  close(b3, 0.5);
  assert.ok(b4 < 1e-3, `BLEU-4 ${b4} should be ~0 with no 4-gram match`);
});

test('BLEU brevity penalty uses the closest reference length (ties: the shorter)', () => {
  // "the cat" vs a 6-word reference: all n-grams match, BP = exp(1 - 6/2).
  const [b1, b2] = corpusBleu([w('the cat')], [[w('the cat is on the mat')]], 2);
  close(b1, Math.exp(-2));
  close(b2, Math.exp(-2));
  // Candidate of 2 words, references of 3 and 7: r = 3, BP = exp(1 - 3/2).
  const [c1] = corpusBleu([w('a b')], [[w('a b c'), w('a b c d e f g')]], 1);
  close(c1, Math.exp(-0.5));
  // Candidate of 5 words, references of 3 and 7 (equally close): the shorter wins, so no penalty.
  const [d1] = corpusBleu([w('a b c d e')], [[w('a b c'), w('a b c d e f g')]], 1);
  close(d1, 1);
});

test('BLEU is a corpus statistic, not a mean of sentence scores', () => {
  // Counts are pooled: (1 + 2 matches) / (2 + 2 unigrams) = 3/4, lengths 4 vs 4.
  const [b1] = corpusBleu([w('a x'), w('b c')], [[w('a b')], [w('b c')]], 1);
  close(b1, 3 / 4);
});

test('ROUGE-L (LCS F-measure, beta 1.2)', () => {
  assert.equal(lcsLength(w('a b c d'), w('a c d e f')), 3);
  // P = 3/4, R = 3/5: F = 2.44 * 0.45 / (0.6 + 1.44 * 0.75)
  close(rougeL(w('a b c d'), [w('a c d e f')]), (2.44 * 0.45) / 1.68);
  // Best precision (1, from "a b c d") and best recall (1, from "a") are taken over references separately,
  // so F = 1 although neither reference alone gives it (each alone: P, R = 1, 0.5 or 0.5, 1).
  close(rougeL(w('a b'), [w('a b c d'), w('a')]), 1);
  close(rougeL(w('a b'), [w('a b c d')]), (2.44 * 1 * 0.5) / (0.5 + 1.44 * 1));
  close(corpusRougeL([w('x')], [[w('y')]]), 0);
});

test('CIDEr-D: tf-idf from the reference corpus, averaged over n = 1..4, x10', () => {
  // Image 1 matches its one-word reference exactly: only n = 1 has weight, so (1 + 0 + 0 + 0) / 4 * 10 = 2.5.
  const r = ciderD([['a'], ['b']], [[['a']], [['c']]]);
  close(r.perImage[0], 2.5);
  close(r.perImage[1], 0);
  close(r.score, 1.25);
  // Two words: unigrams and the bigram both match: (1 + 1) / 4 * 10.
  close(ciderD([w('x y'), ['z']], [[w('x y')], [['w']]]).perImage[0], 5);
});

test('CIDEr-D clips repeated n-grams and penalises length differences', () => {
  // "x x" vs "x": clipped unigram similarity min(2L, L) L / (2L L) = 0.5; bigram length 1 vs 0 -> exp(-1/72).
  const r = ciderD([w('x x'), ['z']], [[['x']], [['w']]]);
  close(r.perImage[0], (0.5 * Math.exp(-1 / 72) * 10) / 4);
});

test('CIDEr-D: an n-gram in every reference set carries no weight', () => {
  // "a" appears in both images' references: idf = log(2) - log(2) = 0.
  const r = ciderD([['a'], ['a']], [[['a']], [['a']]]);
  close(r.score, 0);
});

test('scoreCaptions tokenises English by words and Chinese by characters', () => {
  const en = scoreCaptions(['A dog runs.'], [['a dog runs']], 'en');
  close(en.bleu1, 1);
  close(en.rougeL, 1);
  const zh = scoreCaptions(['一只狗在跑。'], [['一只狗在跑']], 'zh');
  close(zh.bleu4, 1);
  close(zh.rougeL, 1);
});
