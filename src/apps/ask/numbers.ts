/** Small counts in words, both ways, English and Chinese (counting answers and the VQA set's "two dogs"). */

const EN_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];
const ZH_DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** "two" -> 2, "2" -> 2, "a"/"an" -> undefined (an article is not a count). */
export function parseEnNumber(word: string): number | undefined {
  const w = word.toLowerCase();
  if (/^\d{1,3}$/.test(w)) return Number(w);
  const i = EN_WORDS.indexOf(w);
  return i >= 0 ? i : undefined;
}

/** "两" / "二" / "三" / "十二" / "3" -> number. */
export function parseZhNumber(text: string): number | undefined {
  if (/^\d{1,3}$/.test(text)) return Number(text);
  const t = text.replace(/两|俩/g, '二');
  if (t.length === 1) {
    const i = ZH_DIGITS.indexOf(t);
    return i >= 0 ? i : undefined;
  }
  const m = /^([一二三四五六七八九])?十([一二三四五六七八九])?$/.exec(t);
  if (!m) return undefined;
  return (m[1] ? ZH_DIGITS.indexOf(m[1]) : 1) * 10 + (m[2] ? ZH_DIGITS.indexOf(m[2]) : 0);
}
