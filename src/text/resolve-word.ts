/**
 * Maps one word to vocabulary entries, backing off only when the surface form is unknown:
 * clitics ("dog's" -> dog 's, "aren't" -> are not), apostrophe-free spellings ("don't" -> dont), hyphen/period parts
 * ("blue-green" -> blue green), then plural/verb suffixes ("puppies" -> puppy, "running" -> run).
 * The vocabulary extractor runs the same function against the full embedding list, so every piece
 * it can produce at run time is in the shipped vocabulary.
 */

/** Vocabulary membership test. */
export type Has = (word: string) => boolean;

/** A resolved piece: a vocabulary entry, or null for an unknown piece (becomes [UNK]). */
export type Piece = string | null;

const TRAILING_CLITICS = ["n't", "'s", "'re", "'ve", "'ll", "'d", "'m"];
// A clitic without its own vocabulary entry stands for a full word ("aren't" -> are not); "'s" (is, has
// or possessive) and "'d" (had or would) are ambiguous and are dropped instead.
const CLITIC_WORDS: Readonly<Record<string, string>> = { "n't": 'not', "'re": 'are', "'ve": 'have', "'ll": 'will', "'m": 'am' };
const MIN_STEM = 3;

/** Pieces for `word` (one chunk from segment()). [] means nothing to emit (an unknown bare clitic). */
export function resolveWord(word: string, has: Has): Piece[] {
  if (has(word)) return [word];
  if (word.startsWith("'") || word === "n't") return clitic(word, has); // Flickr8k writes "man 's", "do n't"

  if (word.includes("'")) {
    for (const c of TRAILING_CLITICS) {
      if (!word.endsWith(c) || word.length === c.length) continue;
      if (c === "n't") {
        const joined = word.replace(/'/g, ''); // "don't" -> "dont", "isn't" -> "isnt"
        if (has(joined)) return [joined];
      }
      return [...resolveWord(word.slice(0, -c.length), has), ...clitic(c, has)];
    }
    const joined = word.replace(/'/g, ''); // "o'clock" -> "oclock"
    if (has(joined)) return [joined];
    return splitParts(word.split("'"), has);
  }

  if (/[-.]/.test(word)) return splitParts(word.split(/[-.]/), has);

  for (const c of backoffCandidates(word)) if (has(c)) return [c];
  return [null];
}

/** A clitic as itself if known, else the word it stands for if known, else nothing. */
function clitic(c: string, has: Has): Piece[] {
  if (has(c)) return [c];
  const full = CLITIC_WORDS[c];
  return full !== undefined && has(full) ? [full] : [];
}

function splitParts(parts: string[], has: Has): Piece[] {
  const pieces = parts.filter((p) => p.length > 0).flatMap((p) => resolveWord(p, has));
  return pieces.some((p) => p !== null) ? pieces : [null];
}

/** Base forms to try for an unknown letters-only word, most likely first. */
export function backoffCandidates(w: string): string[] {
  if (!/^\p{L}+$/u.test(w) || w.length < 4) return [];
  const out: string[] = [];
  if (w.endsWith('ies')) out.push(w.slice(0, -3) + 'y', w.slice(0, -1));
  else if (w.endsWith('es')) {
    const stem = w.slice(0, -2);
    if (/(s|x|z|ch|sh)$/.test(stem)) out.push(stem, w.slice(0, -1));
    else out.push(w.slice(0, -1), stem);
  } else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) out.push(w.slice(0, -1));

  if (w.endsWith('ied')) out.push(w.slice(0, -3) + 'y');
  for (const suffix of ['ing', 'ed']) {
    if (!w.endsWith(suffix)) continue;
    const stem = w.slice(0, -suffix.length);
    const doubled = /([b-df-hj-np-tv-z])\1$/.test(stem);
    // "running" -> run, but "falling" -> fall: ll/ss/ff/zz are usually part of the base form
    if (doubled && !/(ll|ss|ff|zz)$/.test(stem)) out.push(stem.slice(0, -1), stem, stem + 'e');
    else out.push(stem, stem + 'e', ...(doubled ? [stem.slice(0, -1)] : []));
  }
  return [...new Set(out)].filter((c) => c.length >= MIN_STEM && c !== w);
}
