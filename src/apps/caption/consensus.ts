import { ngramCounts, ngramOrder } from '../../eval/caption-metrics/ngrams.js';

/**
 * Sentence BLEU-4 of one token list against another, smoothed (add one to the matches and totals of n >= 2,
 * Lin & Och 2004) so that short captions sharing no 4-gram still compare by their shorter n-grams.
 */
export function sentenceBleu(hyp: string[], ref: string[], maxN = 4): number {
  if (hyp.length === 0) return 0;
  const r = ngramCounts(ref, maxN);
  const match = new Array<number>(maxN).fill(0);
  for (const [g, c] of ngramCounts(hyp, maxN)) match[ngramOrder(g) - 1] += Math.min(c, r.get(g) ?? 0);
  let logSum = 0;
  for (let n = 1; n <= maxN; n++) {
    const total = Math.max(0, hyp.length - n + 1);
    const add = n === 1 ? 0 : 1;
    if (match[n - 1] + add === 0) return 0;
    logSum += Math.log((match[n - 1] + add) / (total + add));
  }
  const bp = hyp.length < ref.length ? Math.exp(1 - ref.length / hyp.length) : 1;
  return bp * Math.exp(logSum / maxN);
}

/**
 * Consensus of each candidate with the rest of its beam: the mean sentence BLEU against every other candidate
 * (minimum-Bayes-risk decoding with a uniform weight per candidate). A caption the beam agrees on scores high;
 * an outlier low. Needs no references and no corpus statistics, so it works on one image at run time.
 */
export function consensusScores(cands: string[][]): number[] {
  const k = cands.length;
  if (k < 2) return cands.map(() => 0);
  return cands.map((h, i) => {
    let s = 0;
    for (let j = 0; j < k; j++) if (j !== i) s += sentenceBleu(h, cands[j]);
    return s / (k - 1);
  });
}
