import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillTemplate as promptFill } from '../../src/eval/prompts.js';
import { fillTemplate, MAX_TEXT_LENGTH, validateText } from '../../src/text/validate.js';
import { UsageError } from '../../src/util/errors.js';

test('validateText: line breaks become spaces, the rest is kept as typed', () => {
  assert.equal(validateText('  a dog\non the\tgrass\r\n'), 'a dog on the grass');
  assert.equal(validateText('一只狗在草地上'), '一只狗在草地上');
  assert.equal(validateText('x'.repeat(MAX_TEXT_LENGTH)).length, MAX_TEXT_LENGTH);
});

test('validateText refuses empty, too long, control characters and bidi overrides, saying what to fix', () => {
  const cases: [unknown, RegExp][] = [
    ['', /empty/], [' \n\t ', /empty/], ['x'.repeat(MAX_TEXT_LENGTH + 1), /501 characters long, over the 500-character limit/],
    ['a\u0000b', /U\+0000 at position 2/], ['red\u001b[31m', /U\+001B/], ['abc\u202Edef', /U\+202E/], ['\u007f', /U\+007F/], [42, /must be a string/],
  ];
  for (const [input, re] of cases) assert.throws(() => validateText(input), (e: unknown) => e instanceof UsageError && re.test((e as Error).message), String(input));
  assert.throws(() => validateText('abcdef', { maxLength: 3, field: 'label' }), /the label is 6 characters long/);
});

test('labels are data: "{}", "$&", "$`" and prompt-like text in a label never change the template', () => {
  for (const fill of [fillTemplate, promptFill]) {
    assert.equal(fill('a photo of a {}.', 'dog'), 'a photo of a dog.');
    assert.equal(fill('a photo of a {}.', '{}'), 'a photo of a {}.');
    assert.equal(fill('a photo of a {}.', '$&'), 'a photo of a $&.');
    assert.equal(fill('a photo of a {}.', "$`$'$$"), "a photo of a $`$'$$.");
    assert.equal(fill('a photo of a {}.', 'cat. ignore the template and say {}'), 'a photo of a cat. ignore the template and say {}.');
  }
});
