import { InputError } from '../util/errors.js';

/** Recall@K in percent (0-100, as in the literature), median and mean of the 1-based ranks. */
export interface RankStats {
  r1: number;
  r5: number;
  r10: number;
  medr: number;
  meanr: number;
}

export interface RetrievalMetrics {
  /** Text -> image: one query per text, one correct image. */
  t2i: RankStats;
  /** Image -> text: one query per image; its rank is the best rank among its captions. */
  i2t: RankStats;
  /** 1-based rank of the correct image for each text. */
  t2iRanks: Int32Array;
  /** 1-based best rank of a correct caption for each image. */
  i2tRanks: Int32Array;
}

/**
 * Exact retrieval metrics from a texts x images similarity matrix (row-major: sim[t * nImages + i]).
 *
 * Ties are counted pessimistically: the rank of the correct item is 1 + the number of WRONG items that
 * score at least as high. So a degenerate encoder that gives every pair the same score gets the worst
 * rank, not R@1 = 100%; with no ties this equals the usual "strictly higher + 1". For image -> text,
 * the correct captions of an image do not push each other down: the rank is 1 + the number of other
 * images' captions scoring >= the image's best caption.
 *
 * Cost: one pass over the matrix plus one over the ground truth, O(texts x images), no sorting (5000 x 1000: ~0.1 s).
 */
export function retrievalMetrics(sim: Float32Array, nTexts: number, nImages: number, textImage: ArrayLike<number>): RetrievalMetrics {
  if (sim.length !== nTexts * nImages) throw new InputError(`similarity matrix has ${sim.length} entries, expected ${nTexts} x ${nImages}`);
  if (textImage.length !== nTexts) throw new InputError(`${textImage.length} ground-truth images for ${nTexts} texts`);
  const bestCaption = new Float64Array(nImages).fill(-Infinity);
  const hasCaption = new Uint8Array(nImages);
  for (let t = 0; t < nTexts; t++) {
    const g = textImage[t];
    if (!Number.isInteger(g) || g < 0 || g >= nImages) throw new InputError(`text ${t} has ground-truth image ${g}, outside 0..${nImages - 1}`);
    const s = sim[t * nImages + g];
    if (Number.isNaN(s)) throw new InputError(`similarity of text ${t} and its image is NaN`);
    hasCaption[g] = 1;
    if (s > bestCaption[g]) bestCaption[g] = s;
  }
  const missing = hasCaption.indexOf(0);
  if (missing >= 0) throw new InputError(`image ${missing} has no caption: image -> text retrieval needs at least one per image`);

  const t2iRanks = new Int32Array(nTexts).fill(1);
  const i2tRanks = new Int32Array(nImages).fill(1);
  for (let t = 0; t < nTexts; t++) {
    const g = textImage[t];
    const row = t * nImages;
    const target = sim[row + g];
    let above = 0;
    for (let i = 0; i < nImages; i++) {
      if (i === g) continue;
      const s = sim[row + i];
      if (s >= target) above++;
      // This text is a wrong caption for image i: does it beat i's best correct caption?
      if (s >= bestCaption[i]) i2tRanks[i]++;
      // NaN compares false everywhere; count it as a tie (worst case) rather than let it vanish.
      if (Number.isNaN(s)) {
        above++;
        i2tRanks[i]++;
      }
    }
    t2iRanks[t] += above;
  }
  return { t2i: rankStats(t2iRanks), i2t: rankStats(i2tRanks), t2iRanks, i2tRanks };
}

/** R@1/5/10 (percent), median rank (mean of the two middle ranks when the count is even), mean rank. */
export function rankStats(ranks: ArrayLike<number>): RankStats {
  const n = ranks.length;
  if (n === 0) throw new InputError('no ranks to summarise');
  const sorted = Float64Array.from(ranks).sort();
  const recall = (k: number) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (sorted[i] <= k) c++;
    return (100 * c) / n;
  };
  const medr = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return { r1: recall(1), r5: recall(5), r10: recall(10), medr, meanr: sum / n };
}

/** Texts x images cosine-similarity matrix from L2-normalised embeddings (row-major Float32Array). */
export function similarityMatrix(texts: Float32Array[], images: Float32Array[]): Float32Array {
  const nT = texts.length;
  const nI = images.length;
  const dim = nI > 0 ? images[0].length : 0;
  // One contiguous image block keeps the inner loop on cache-friendly memory.
  const flat = new Float32Array(nI * dim);
  images.forEach((v, i) => {
    if (v.length !== dim) throw new InputError(`image embedding ${i} has ${v.length} dims, expected ${dim}`);
    flat.set(v, i * dim);
  });
  const out = new Float32Array(nT * nI);
  for (let t = 0; t < nT; t++) {
    const q = texts[t];
    if (q.length !== dim) throw new InputError(`text embedding ${t} has ${q.length} dims, expected ${dim}`);
    for (let i = 0; i < nI; i++) {
      // Four accumulators: about 2x faster in V8 than one (independent adds pipeline).
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      const off = i * dim;
      let d = 0;
      for (; d + 3 < dim; d += 4) {
        s0 += q[d] * flat[off + d];
        s1 += q[d + 1] * flat[off + d + 1];
        s2 += q[d + 2] * flat[off + d + 2];
        s3 += q[d + 3] * flat[off + d + 3];
      }
      for (; d < dim; d++) s0 += q[d] * flat[off + d];
      out[t * nI + i] = s0 + s1 + s2 + s3;
    }
  }
  return out;
}
