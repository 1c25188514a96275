/**
 * Splits normalised text into the units the tokenizer looks up: Latin (or other-script) words,
 * single CJK characters, a few meaningful symbols, and pictographs (unknown content).
 * Punctuation is a boundary and is dropped in both languages: Flickr8k captions end with " ." or "。"
 * while user prompts usually don't, so keeping it would teach the model a train/test difference.
 */
import { isCjk } from './lang.js';

export type ChunkKind = 'word' | 'cjk' | 'symbol' | 'pictograph';

export interface Chunk {
  kind: ChunkKind;
  /** The text of the unit, as it appears in the normalised string. */
  text: string;
}

/** Symbols kept as tokens (when the vocabulary has them): they carry meaning in captions and queries. */
export const KEPT_SYMBOLS: ReadonlySet<string> = new Set(['&', '%', '$', '#', '@', '+', '£', '€', '¥']);

/** Clitics that may start a word ("'s" in Flickr8k's "man 's"). */
export const LEADING_CLITICS: ReadonlySet<string> = new Set(["'s", "'re", "'ve", "'ll", "'d", "'m"]);

const WORD_CHAR = /^[\p{L}\p{M}\p{N}]$/u;
// Joiners stay inside a word ("t-shirt", "3.5", "dog's") but never at its ends.
const JOINER = /^['.-]$/;
const PICTOGRAPH = /^\p{Extended_Pictographic}$/u;

/** Segment a string that has already been through normalizeText(). */
export function segment(normalized: string): Chunk[] {
  const out: Chunk[] = [];
  let buf = '';
  const flush = (): void => {
    if (buf) for (const w of cleanWord(buf)) out.push({ kind: 'word', text: w });
    buf = '';
  };
  for (const ch of normalized) {
    if (WORD_CHAR.test(ch) && !isCjk(ch)) buf += ch;
    else if (JOINER.test(ch)) buf += ch;
    else {
      flush();
      if (isCjk(ch)) out.push({ kind: 'cjk', text: ch });
      else if (KEPT_SYMBOLS.has(ch)) out.push({ kind: 'symbol', text: ch });
      else if (PICTOGRAPH.test(ch)) out.push({ kind: 'pictograph', text: ch });
      // whitespace and other punctuation/symbols: boundary only
    }
  }
  flush();
  return out;
}

/** Split a run of word characters and joiners into words: "--" or "..." separates, end joiners go. */
function cleanWord(run: string): string[] {
  const words: string[] = [];
  for (const part of run.split(/['.-]{2,}/)) {
    let w = part.replace(/['.-]+$/, '');
    const lead = /^['.-]+/.exec(w)?.[0] ?? '';
    if (lead) {
      const rest = w.slice(lead.length);
      w = lead.endsWith("'") && LEADING_CLITICS.has("'" + rest) ? "'" + rest : rest;
    }
    if (/[\p{L}\p{M}\p{N}]/u.test(w)) words.push(w);
  }
  return words;
}

/** True when `w` (already normalised) segments to exactly itself: only such vocabulary entries can ever be emitted. */
export function isSingleUnit(w: string): boolean {
  if (/^[a-z0-9]+$/.test(w)) return true; // fast path: the extractor checks ~340k words
  const chunks = segment(w);
  return chunks.length === 1 && chunks[0].text === w && chunks[0].kind !== 'pictograph';
}
