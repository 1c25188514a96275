import { createRng, shuffleInPlace } from '../util/rng.js';
import type { Batch } from './train-step.js';
import { padBatch, type SplitData } from './training-data.js';

/**
 * The sample order of one epoch, derived only from (seed, epoch): a resumed run regenerates exactly the
 * permutation and flip choices it was in the middle of and skips the batches already done.
 */
export interface EpochPlan {
  order: Int32Array;
  /** 1 = use the mirrored image's features for that sample. */
  flips: Uint8Array;
  batches: number;
}

export function epochPlan(
  nSamples: number,
  batchSize: number,
  seed: number,
  epoch: number,
  flipAugment: boolean,
  /** Token length per sample: when given, batches group samples of similar length (less padding, faster steps). */
  lengths?: ArrayLike<number>,
): EpochPlan {
  const rng = createRng((seed * 1000003 + epoch * 7919) >>> 0);
  const order = shuffleInPlace(Array.from({ length: nSamples }, (_, i) => i), rng);
  const flips = new Uint8Array(nSamples);
  if (flipAugment) for (let i = 0; i < nSamples; i++) flips[i] = rng() < 0.5 ? 1 : 0;
  // The last partial batch is dropped: contrastive losses want full batches of negatives.
  const batches = Math.floor(nSamples / batchSize);
  if (!lengths) return { order: Int32Array.from(order), flips, batches };
  // Bucketing: sort windows of BUCKET_BATCHES batches by length, cut them into batches, shuffle the batches.
  const used = order.slice(0, batches * batchSize);
  const cut: number[][] = [];
  const window = BUCKET_BATCHES * batchSize;
  for (let w = 0; w < used.length; w += window) {
    const chunk = used.slice(w, w + window).sort((a, b) => lengths[a] - lengths[b] || a - b);
    for (let b = 0; b < chunk.length; b += batchSize) cut.push(chunk.slice(b, b + batchSize));
  }
  shuffleInPlace(cut, rng);
  return { order: Int32Array.from([...cut.flat(), ...order.slice(batches * batchSize)]), flips, batches };
}

/** Batches per length-sorting window: large enough to cut padding, small enough to keep batches varied. */
const BUCKET_BATCHES = 16;

/** Batch number `b` of an epoch plan: features gathered per sample (orig or flip), captions padded. */
export function makeBatch(data: SplitData, plan: EpochPlan, b: number, batchSize: number): Batch {
  const idx = plan.order.subarray(b * batchSize, (b + 1) * batchSize);
  const B = idx.length;
  const inputs = data.features.map((f) => {
    const out = new Float32Array(B * f.dim);
    idx.forEach((c, r) => {
      const img = data.captions[c].imageIndex;
      const src = plan.flips[c] ? f.flip : f.orig;
      out.set(src.subarray(img * f.dim, (img + 1) * f.dim), r * f.dim);
    });
    return out;
  });
  const tokens = padBatch(Array.from(idx, (c) => data.captions[c].ids));
  const imageIds = Int32Array.from(idx, (c) => data.captions[c].imageIndex);
  return { size: B, inputs, tokens, imageIds };
}
