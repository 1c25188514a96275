/**
 * Text normalisation applied before tokenisation, identical at build time (vocabulary extraction)
 * and at run time, so a word is looked up in the same form it was stored in.
 */

export interface NormalizeOptions {
  /** Lower-case the text (default true; the English vocabulary is lower-case). */
  lowercase?: boolean;
}

// Whitespace-like control characters become spaces; other controls (C0/C1) and invisible format
// characters (zero-width space, BOM, bidi marks, ZWJ) are removed.
const WHITESPACE_CONTROLS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;
// Typographic apostrophes/quotes fold to ASCII so "dog’s" and "dog's" are the same word.
const APOSTROPHES = /[\u2018\u2019\u02BC\u2032\u0060\u00B4]/g;
const DOUBLE_QUOTES = /[\u201C\u201D\u2033]/g;

/**
 * NFKC (which also maps full-width ASCII forms and the ideographic space to half-width), strip
 * control and invisible characters, fold apostrophes, lower-case, collapse whitespace, trim.
 */
export function normalizeText(text: string, opts: NormalizeOptions = {}): string {
  let s = text.replace(WHITESPACE_CONTROLS, ' ').replace(INVISIBLE, '');
  s = s.normalize('NFKC');
  s = s.replace(APOSTROPHES, "'").replace(DOUBLE_QUOTES, '"');
  if (opts.lowercase ?? true) s = s.toLowerCase();
  return s.replace(/\s+/gu, ' ').trim();
}
