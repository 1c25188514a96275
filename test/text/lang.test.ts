import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLang, isCjk } from '../../src/text/index.js';

test('isCjk: ideographs (and kana/hangul) yes, Latin and punctuation no', () => {
  for (const ch of ['狗', '〇', '々', 'か', '한']) assert.equal(isCjk(ch), true, ch);
  for (const ch of ['a', '1', '。', '，', ' ', 'é']) assert.equal(isCjk(ch), false, ch);
});

test('detectLang on pure and mixed strings', () => {
  assert.equal(detectLang('a dog runs on the grass'), 'en');
  assert.equal(detectLang('一只狗在草地上跑。'), 'zh');
  assert.equal(detectLang('一只dog在跑'), 'zh');
  assert.equal(detectLang('我在New York看到一只狗'), 'zh');
  assert.equal(detectLang('a photo of 猫'), 'en');
  assert.equal(detectLang(''), 'en');
  assert.equal(detectLang('!!! 123'), 'en');
});
