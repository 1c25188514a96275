/**
 * Maps one word to vocabulary entries, backing off only when the surface form is unknown:
 * clitics ("dog's" -> dog 's), apostrophe-free spellings ("don't" -> dont), hyphen/period parts
 * ("blue-green" -> blue green), then plural/verb suffixes ("puppies" -> puppy, "running" -> run).
 * The vocabulary extractor runs the same function against the full embedding list, so every piece
 * it can produce at run time is in the shipped vocabulary.
 */

/** Vocabulary membership test. */
export type Has = (word: string) => boolean;

/** A resolved piece: a vocabulary entry, or null for an unknown piece (becomes [UNK]). */
export type Piece = string | null;

const TRAILING_CLITICS = ["'s", "'re", "'ve", "'ll", "'d", "'m"];
const MIN_STEM = 3;

/** Pieces for `word` (one chunk from segment()). [] means nothing to emit (an unknown bare clitic). */
export function resolveWord(word: string, has: Has): Piece[] {
  if (has(word)) return [word];
  if (word.startsWith("'") || word === "n't") return []; // bare clitic we have no entry for: drop, not [UNK]

  if (word.includes("'")) {
    if (word.endsWith("n't")) {
      const joined = word.replace(/'/g, ''); // "don't" -> "dont", "isn't" -> "isnt"
      if (has(joined)) return [joined];
      return [...resolveWord(word.slice(0, -3), has), ...(has("n't") ? ["n't"] : [])];
    }
    for (const c of TRAILING_CLITICS) {
      if (word.endsWith(c) && word.length > c.length) {
        return [...resolveWord(word.slice(0, -c.length), has), ...(has(c) ? [c] : [])];
      }
    }
    const joined = word.replace(/'/g, ''); // "o'clock" -> "oclock"
    if (has(joined)) return [joined];
    return splitParts(word.split("'"), has);
  }

  if (/[-.]/.test(word)) return splitParts(word.split(/[-.]/), has);

  for (const c of backoffCandidates(word)) if (has(c)) return [c];
  return [null];
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
