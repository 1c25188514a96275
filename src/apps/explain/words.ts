/**
 * The text side of an explanation, for any Encoder: each word's contribution to the image-text similarity
 * by leave-one-out (the similarity of the whole text minus that of the text without the word).
 * Chinese is split into characters, the unit our tokenizer reads; other scripts at spaces.
 */
import { dot, type EmbedTextOptions, type Encoder } from '../../encoders/encoder.js';

export interface WordContribution {
  word: string;
  /** similarity(text) - similarity(text without this word); positive: the word makes the text match better */
  contribution: number;
}

const HAN = /\p{Script=Han}/u;
const UNIT = /\p{Script=Han}|[^\s\p{Script=Han}]+/gu;

/** The words of a text, in order. */
export function splitWords(text: string): string[] {
  return text.match(UNIT) ?? [];
}

/** The words joined back: no space between two Chinese characters, one space elsewhere. */
export function joinWords(words: string[]): string {
  let s = '';
  for (const w of words) s += s && !(HAN.test(s.slice(-1)) && HAN.test(w[0])) ? ` ${w}` : w;
  return s;
}

export interface WordsResult {
  similarity: number;
  words: WordContribution[];
}

/** `image` is the image's embedding (from the same encoder). One embedTexts call of n+1 texts. */
export async function wordContributions(encoder: Encoder, image: Float32Array, text: string, opts: EmbedTextOptions = {}): Promise<WordsResult> {
  const words = splitWords(text);
  // A one-word text has nothing left once the word goes: its contribution is its whole similarity.
  const variants = words.length > 1 ? words.map((_, i) => joinWords(words.filter((__, j) => j !== i))) : [];
  const embs = await encoder.embedTexts([joinWords(words) || text, ...variants], opts);
  const similarity = dot(embs[0], image);
  return {
    similarity,
    words: words.map((word, i) => ({ word, contribution: similarity - (words.length > 1 ? dot(embs[i + 1], image) : 0) })),
  };
}
