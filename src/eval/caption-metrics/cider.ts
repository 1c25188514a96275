import { ngramCounts, ngramOrder } from './ngrams.js';

interface TfIdf {
  vec: Map<string, number>[];
  norm: number[];
  /** coco-caption's "length": the number of bigrams (a quirk of its code, kept for comparable numbers). */
  length: number;
}

/** Document frequencies of n-grams over reference sets (df = number of sets whose references contain the n-gram), with the set count. */
export interface CiderDocFreq {
  df: Map<string, number>;
  sets: number;
}

export function ciderDocFreq(refs: string[][][], n = 4): CiderDocFreq {
  return docFreqOfCounts(refs.map((rs) => rs.map((r) => ngramCounts(r, n))));
}

/** ciderDocFreq from n-gram counts already taken (ciderD counts each reference once, for both uses). */
function docFreqOfCounts(refCounts: Map<string, number>[][]): CiderDocFreq {
  const df = new Map<string, number>();
  for (const rs of refCounts) {
    const seen = new Set<string>();
    for (const c of rs) for (const g of c.keys()) seen.add(g);
    for (const g of seen) df.set(g, (df.get(g) ?? 0) + 1);
  }
  return { df, sets: refCounts.length };
}

/**
 * CIDEr-D (Vedantam et al. 2015) as coco-caption's CiderD scorer computes it: n = 1..4 TF-IDF vectors with
 * document frequencies counted over the reference sets of the evaluated corpus (df = number of images whose
 * references contain the n-gram; idf = log(#images) - log(max(1, df))); per n the candidate/reference
 * similarity uses clipped candidate weights min(h, r) * r / (|h| |r|) and a Gaussian length penalty
 * exp(-(l_h - l_r)^2 / (2 sigma^2)), sigma = 6; averaged over n and references, times 10.
 * `docFreq` replaces the corpus statistics with fixed ones (e.g. the whole training set's, when scoring many
 * samples per image as a reward). Returns the corpus score (mean over images) and the per-image scores.
 */
export function ciderD(hyps: string[][], refs: string[][][], opts: { n?: number; sigma?: number; docFreq?: CiderDocFreq } = {}): { score: number; perImage: number[] } {
  const N = opts.n ?? 4;
  const sigma = opts.sigma ?? 6;
  if (hyps.length !== refs.length) throw new Error(`CIDEr-D: ${hyps.length} candidates but ${refs.length} reference sets`);
  if (hyps.length === 0) return { score: 0, perImage: [] };
  // A reference set passed for several candidates (the same array, e.g. one image's neighbours for every beam
  // candidate) is counted and weighted once; each occurrence still counts in the document frequencies.
  const countsOf = new Map<string[][], Map<string, number>[]>();
  const refCounts = refs.map((rs) => {
    let c = countsOf.get(rs);
    if (!c) countsOf.set(rs, (c = rs.map((r) => ngramCounts(r, N))));
    return c;
  });
  const { df, sets } = opts.docFreq ?? docFreqOfCounts(refCounts);
  const refLen = Math.log(sets);
  const toVec = (counts: Map<string, number>): TfIdf => {
    const vec = Array.from({ length: N }, () => new Map<string, number>());
    const norm = new Array<number>(N).fill(0);
    let length = 0;
    for (const [g, tf] of counts) {
      const n = ngramOrder(g) - 1;
      const w = tf * (refLen - Math.log(Math.max(1, df.get(g) ?? 0)));
      vec[n].set(g, w);
      norm[n] += w * w;
      if (n === 1) length += tf;
    }
    return { vec, norm: norm.map(Math.sqrt), length };
  };
  const sim = (h: TfIdf, r: TfIdf): number => {
    const delta = h.length - r.length;
    const pen = Math.exp(-(delta * delta) / (2 * sigma * sigma));
    let sum = 0;
    for (let n = 0; n < N; n++) {
      let v = 0;
      for (const [g, wh] of h.vec[n]) {
        const wr = r.vec[n].get(g) ?? 0;
        v += Math.min(wh, wr) * wr;
      }
      if (h.norm[n] !== 0 && r.norm[n] !== 0) v /= h.norm[n] * r.norm[n];
      sum += v * pen;
    }
    return sum / N;
  };
  const vecsOf = new Map<Map<string, number>[], TfIdf[]>();
  const perImage = hyps.map((h, i) => {
    const hv = toVec(ngramCounts(h, N));
    const rs = refCounts[i];
    if (rs.length === 0) return 0;
    let rv = vecsOf.get(rs);
    if (!rv) vecsOf.set(rs, (rv = rs.map(toVec)));
    const total = rv.reduce((s, r) => s + sim(hv, r), 0);
    return (total / rs.length) * 10;
  });
  return { score: perImage.reduce((a, b) => a + b, 0) / perImage.length, perImage };
}
