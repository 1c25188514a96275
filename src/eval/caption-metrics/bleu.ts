import { ngramCounts, ngramOrder } from './ngrams.js';

/**
 * Corpus BLEU-1..4 as coco-caption computes it (Papineni et al. 2002): clipped n-gram matches and candidate
 * n-gram totals are summed over the corpus; BLEU-n = BP * geometric mean of the precisions 1..n; the brevity
 * penalty compares the total candidate length with the total of each candidate's closest reference length
 * (ties: the shorter reference), BP = exp(1 - r / c) when c < r.
 */
export function corpusBleu(hyps: string[][], refs: string[][][], maxN = 4): number[] {
  if (hyps.length !== refs.length) throw new Error(`BLEU: ${hyps.length} candidates but ${refs.length} reference sets`);
  const correct = new Array<number>(maxN).fill(0);
  const total = new Array<number>(maxN).fill(0);
  let hypLen = 0;
  let refLen = 0;
  hyps.forEach((h, i) => {
    const maxRef = new Map<string, number>();
    for (const r of refs[i]) for (const [g, c] of ngramCounts(r, maxN)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
    for (const [g, c] of ngramCounts(h, maxN)) correct[ngramOrder(g) - 1] += Math.min(c, maxRef.get(g) ?? 0);
    for (let n = 1; n <= maxN; n++) total[n - 1] += Math.max(0, h.length - n + 1);
    hypLen += h.length;
    let best = Infinity;
    let bestDiff = Infinity;
    for (const r of refs[i]) {
      const diff = Math.abs(r.length - h.length);
      if (diff < bestDiff || (diff === bestDiff && r.length < best)) {
        bestDiff = diff;
        best = r.length;
      }
    }
    refLen += best === Infinity ? 0 : best;
  });
  // coco-caption's smoothing constants: a zero count gives a tiny precision rather than log(0).
  const tiny = 1e-15;
  const small = 1e-9;
  const bp = hypLen < refLen ? Math.exp(1 - refLen / Math.max(hypLen, tiny)) : 1;
  const out: number[] = [];
  let logSum = 0;
  for (let n = 1; n <= maxN; n++) {
    logSum += Math.log((correct[n - 1] + tiny) / (total[n - 1] + small));
    out.push(bp * Math.exp(logSum / n));
  }
  return out;
}
