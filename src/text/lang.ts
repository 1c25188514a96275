/** Language detection between the two languages the text tower knows. */

export type Lang = 'en' | 'zh';

// Han ideographs (incl. radicals, 〇, 々) plus kana, bopomofo and Hangul: scripts written without
// spaces between words (or, for Hangul, handled the same way), so they are tokenised per character.
const CJK = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\p{Script=Hangul}]$/u;
const CJK_GLOBAL = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\p{Script=Hangul}]/gu;
// A run of letters/digits in other scripts counts as one word.
const OTHER_WORD = /[^\s\p{P}\p{S}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\p{Script=Hangul}]+/gu;

/** True for one CJK character (a single code point; punctuation is not CJK here). */
export function isCjk(ch: string): boolean {
  return CJK.test(ch);
}

/**
 * 'zh' when CJK characters make up at least half of the text's units, counting each CJK character
 * and each run of other letters/digits (a word) as one unit. Counting words rather than letters keeps
 * "我在New York看到一只狗" Chinese, while "a photo of 猫" stays English. Text without either is 'en'.
 */
export function detectLang(text: string): Lang {
  const cjk = text.match(CJK_GLOBAL)?.length ?? 0;
  if (cjk === 0) return 'en';
  const words = text.match(OTHER_WORD)?.length ?? 0;
  return cjk >= words ? 'zh' : 'en';
}
