import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeText } from '../../src/text/index.js';

test('normalizeText lower-cases, collapses whitespace and trims', () => {
  assert.equal(normalizeText('  A Dog\t\tRUNS\n on  grass  '), 'a dog runs on grass');
});

test('normalizeText maps full-width forms and the ideographic space to half-width', () => {
  assert.equal(normalizeText('ＡＢＣ　１２３！'), 'abc 123!');
  assert.equal(normalizeText('一只狗，在跑'), '一只狗,在跑');
});

test('normalizeText strips control and invisible characters and folds apostrophes', () => {
  assert.equal(normalizeText('do\u0000g\u200b\ufeff’s'), "dog's");
  assert.equal(normalizeText('café', { lowercase: false }), 'café');
  assert.equal(normalizeText('CAFE\u0301'), 'café'); // NFKC composes
  assert.equal(normalizeText('Dog', { lowercase: false }), 'Dog');
});

test('normalizeText of whitespace-only text is empty', () => {
  assert.equal(normalizeText(' \t\u3000\n '), '');
});
