/** A tiny tokenizer vocabulary built in the test, so text tests need neither the data folder nor the 300 MB embeddings. */
import { MixedTokenizer, SPECIALS, type TokenizerJSON } from '../../src/text/index.js';

export const tinyJson: TokenizerJSON = {
  type: 'vlm-mixed',
  version: 1,
  lowercase: true,
  maxLength: 32,
  specials: [...SPECIALS],
  en: ['the', 'a', 'dog', "'s", 'man', 'run', 'puppy', 'box', 'jump', 'ride', 'fall', 'is', 'in', 'red',
    't-shirt', 'blue', 'green', 'dont', 'are', 'not', 'they', 'will', '&', '3', 'ball', 'cat', 'on', 'grass'],
  zh: ['一', '只', '狗', '在', '跑', '猫', '草', '地', '上'],
};

export function tiny(overrides: Partial<TokenizerJSON> = {}): MixedTokenizer {
  return MixedTokenizer.fromJSON({ ...tinyJson, ...overrides });
}
