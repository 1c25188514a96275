import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeQuestion, type Route } from '../../src/apps/ask/router.js';
import { findConceptsEn, findConceptsZh } from '../../src/apps/ask/lexicon.js';
import { parseZhNumber } from '../../src/apps/ask/numbers.js';
import { countQuestion, statedCounts, yesnoQuestion } from '../../src/eval/vqa-dataset.js';
import { conceptByKey } from '../../src/apps/ask/lexicon.js';

const kind = (q: string) => routeQuestion(q).kind;
const verify = (q: string) => routeQuestion(q) as Extract<Route, { kind: 'verify' }>;
const count = (q: string) => routeQuestion(q) as Extract<Route, { kind: 'count' }>;

test('English: caption, yes/no, counting and text questions go to their skills', () => {
  for (const q of ['What is in the image?', "what's in this picture", 'Describe the photo.', 'what is happening here?', 'What do you see?']) assert.equal(kind(q), 'caption', q);
  for (const q of ['Is there a dog?', 'are there people?', 'Is there any water in the picture?', 'Do you see a bicycle?', 'Is the dog black?']) assert.equal(kind(q), 'verify', q);
  for (const q of ['How many people are there?', 'how many dogs?', 'Count the cars']) assert.equal(kind(q), 'count', q);
  for (const q of ['What does the sign say?', 'What is written on the board?', 'Read the text', 'what word is on the shirt?']) assert.equal(kind(q), 'ocr', q);
});

test('Chinese: 图里有什么 / 有狗吗 / 有几个人 / 上面写着什么', () => {
  for (const q of ['图里有什么？', '这张图片里有什么', '描述一下这张照片', '这是什么？']) assert.equal(kind(q), 'caption', q);
  for (const q of ['图中有人吗?', '有狗吗', '图片里有没有自行车', '狗是黑色的吗？']) assert.equal(kind(q), 'verify', q);
  for (const q of ['有几个人', '图中有几只狗？', '有多少辆车?']) assert.equal(kind(q), 'count', q);
  for (const q of ['上面写着什么', '牌子上写的是什么字？']) assert.equal(kind(q), 'ocr', q);
});

test('object words map to COCO classes in both languages; subtypes and non-COCO words do not pretend', () => {
  assert.equal(verify('is there a dog?').concept?.coco, 'dog');
  assert.equal(verify('Are there any puppies?').concept?.coco, 'dog');
  assert.equal(verify('are there people?').concept?.coco, 'person');
  assert.equal(verify('图中有人吗?').concept?.coco, 'person');
  assert.equal(verify('有狗吗').concept?.coco, 'dog');
  assert.equal(verify('有自行车吗').concept?.coco, 'bicycle');
  assert.equal(verify('is there a bike').concept?.coco, 'bicycle');
  assert.equal(verify('is there a man?').concept?.coco, undefined, 'a man is a kind of person: the detector cannot confirm it');
  assert.equal(verify('is there a man?').concept?.parent, 'person');
  assert.equal(verify('is there any water?').concept?.coco, undefined);
  assert.equal(count('how many bikes are there').concept.coco, 'bicycle');
  assert.equal(count('有几辆汽车').concept.coco, 'car');
  assert.equal(count('how many men are there?').viaParent, true);
});

test('the phrase checked is the object, qualified when the question qualifies it', () => {
  assert.deepEqual([verify('Is there a dog?').phrase, verify('Is there a dog?').bare], ['a dog', true]);
  assert.deepEqual([verify('are there people in the picture?').phrase, verify('are there people in the picture?').bare], ['people', true]);
  assert.equal(verify('is there water').phrase, 'water');
  assert.deepEqual([verify('Is the dog black?').phrase, verify('Is the dog black?').bare], ['the dog black', false]);
  assert.deepEqual([verify('图中有人吗?').phrase, verify('图中有人吗?').bare], ['人', true]);
  assert.deepEqual([verify('有没有狗').phrase, verify('有没有狗').bare], ['狗', true]);
  assert.equal(verify('狗是黑色的吗？').bare, false);
});

test('unanswerable questions say so, with a reason, in the question language', () => {
  for (const q of ['Why is the man smiling?', 'Who took this photo?', 'Where was this taken?', 'How old is the boy?', 'Tell me a joke', 'how many clouds are there?']) {
    const r = routeQuestion(q);
    assert.equal(r.kind, 'unanswerable', q);
    assert.ok(r.kind === 'unanswerable' && r.reason.length > 10 && /[a-z]/.test(r.reason), q);
  }
  const zh = routeQuestion('他为什么在笑？');
  assert.equal(zh.kind, 'unanswerable');
  assert.ok(zh.kind === 'unanswerable' && /[\u4e00-\u9fff]/.test(zh.reason));
  assert.equal(routeQuestion('  ').kind, 'unanswerable');
  assert.equal(routeQuestion('?').kind, 'unanswerable');
});

test('answer language follows the question unless forced', () => {
  assert.equal(routeQuestion('有狗吗').lang, 'zh');
  assert.equal(routeQuestion('is there a dog?').lang, 'en');
  assert.equal(routeQuestion('is there a dog?', 'zh').lang, 'zh');
});

test('lexicon matching: longest form wins, whole words only', () => {
  assert.deepEqual(findConceptsEn('A man rides a dirt bike past a hotdog stand').map((h) => h.concept.key), ['man', 'motorcycle']);
  assert.deepEqual(findConceptsEn('two dogs catch a frisbee').map((h) => h.concept.key), ['dog', 'frisbee']);
  assert.deepEqual(findConceptsZh('一个男人骑着自行车').map((h) => h.concept.key), ['man', 'bicycle']);
  assert.equal(parseZhNumber('两'), 2);
  assert.equal(parseZhNumber('十二'), 12);
  assert.equal(parseZhNumber('三十'), 30);
});

test('VQA set helpers: counts stated by captions, and the questions asked', () => {
  assert.deepEqual([...statedCounts('Two dogs run through the snow .')], [['dog', 2]]);
  assert.deepEqual([...statedCounts('Two men and a woman sit on a bench .')], [['person', 3]]);
  assert.ok(Number.isNaN(statedCounts('Two men and some people walk .').get('person')), 'a person word without a number makes the count unclear');
  assert.deepEqual([...statedCounts('A dog runs .')], [], 'no number word: not a counting caption');
  assert.equal(yesnoQuestion(conceptByKey('dog')!, 'en'), 'is there a dog?');
  assert.equal(yesnoQuestion(conceptByKey('person')!, 'zh'), '图中有人吗？');
  assert.equal(countQuestion(conceptByKey('dog')!, 'zh'), '图中有几只狗？');
  // Every generated question is routed to the skill its type needs.
  for (const key of ['person', 'dog', 'water', 'man', 'sunglasses', 'airplane']) {
    for (const lang of ['en', 'zh'] as const) assert.equal(kind(yesnoQuestion(conceptByKey(key)!, lang)), 'verify', `${key} ${lang}`);
  }
  for (const key of ['person', 'dog', 'horse', 'ball', 'bicycle']) {
    for (const lang of ['en', 'zh'] as const) assert.equal(kind(countQuestion(conceptByKey(key)!, lang)), 'count', `${key} ${lang}`);
  }
});
