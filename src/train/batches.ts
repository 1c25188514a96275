import { VlmError } from '../util/errors.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import type { Batch } from './train-step.js';
import { padBatch, type SplitData } from './training-data.js';

/**
 * The sample order of one epoch, derived only from (seed, epoch): a resumed run regenerates exactly the
 * permutation and view choices it was in the middle of and skips the batches already done.
 */
export interface EpochPlan {
  order: Int32Array;
  /** Per sample, which features of its image to use: VIEW_ORIG, VIEW_FLIP, or VIEW_CROP0 + k for crop view k. */
  views: Uint8Array;
  batches: number;
}

export const VIEW_ORIG = 0;
export const VIEW_FLIP = 1;
export const VIEW_CROP0 = 2;

export function epochPlan(
  nSamples: number,
  batchSize: number,
  seed: number,
  epoch: number,
  flipAugment: boolean,
  /** Token length per sample: when given, batches group samples of similar length (less padding, faster steps). */
  lengths?: ArrayLike<number>,
  /** Cached crop views that join orig (and flip) as equally likely choices (0 = none). */
  cropViews = 0,
): EpochPlan {
  const rng = createRng((seed * 1000003 + epoch * 7919) >>> 0);
  const order = shuffleInPlace(Array.from({ length: nSamples }, (_, i) => i), rng);
  const views = new Uint8Array(nSamples);
  if (cropViews > 0) {
    const pool = [VIEW_ORIG, ...(flipAugment ? [VIEW_FLIP] : []), ...Array.from({ length: cropViews }, (_, k) => VIEW_CROP0 + k)];
    for (let i = 0; i < nSamples; i++) views[i] = pool[Math.floor(rng() * pool.length)];
  } else if (flipAugment) {
    // Kept exactly as before crop views existed: the same draws give the same plans for existing recipes.
    for (let i = 0; i < nSamples; i++) views[i] = rng() < 0.5 ? VIEW_FLIP : VIEW_ORIG;
  }
  // The last partial batch is dropped: contrastive losses want full batches of negatives.
  const batches = Math.floor(nSamples / batchSize);
  if (!lengths) return { order: Int32Array.from(order), views, batches };
  // Bucketing: sort windows of BUCKET_BATCHES batches by length, cut them into batches, shuffle the batches.
  const used = order.slice(0, batches * batchSize);
  const cut: number[][] = [];
  const window = BUCKET_BATCHES * batchSize;
  for (let w = 0; w < used.length; w += window) {
    const chunk = used.slice(w, w + window).sort((a, b) => lengths[a] - lengths[b] || a - b);
    for (let b = 0; b < chunk.length; b += batchSize) cut.push(chunk.slice(b, b + batchSize));
  }
  shuffleInPlace(cut, rng);
  return { order: Int32Array.from([...cut.flat(), ...order.slice(batches * batchSize)]), views, batches };
}

/** Batches per length-sorting window: large enough to cut padding, small enough to keep batches varied. */
const BUCKET_BATCHES = 16;

/** Features of one view of a table (crop views must have been loaded). */
function viewRows(f: SplitData['features'][number], view: number): Float32Array {
  if (view === VIEW_ORIG) return f.orig;
  if (view === VIEW_FLIP) return f.flip;
  const rows = f.crops?.[view - VIEW_CROP0];
  if (!rows) throw new VlmError(`features ${f.key}: crop view ${view - VIEW_CROP0} was not loaded (training.crop_views vs the loaded data)`);
  return rows;
}

/** Batch number `b` of an epoch plan: features gathered per sample (its planned view), captions padded. */
export function makeBatch(data: SplitData, plan: EpochPlan, b: number, batchSize: number): Batch {
  const idx = plan.order.subarray(b * batchSize, (b + 1) * batchSize);
  const B = idx.length;
  const inputs = data.features.map((f) => {
    const out = new Float32Array(B * f.dim);
    idx.forEach((c, r) => {
      const img = data.captions[c].imageIndex;
      const src = viewRows(f, plan.views[c]);
      out.set(src.subarray(img * f.dim, (img + 1) * f.dim), r * f.dim);
    });
    return out;
  });
  const tokens = padBatch(Array.from(idx, (c) => data.captions[c].ids));
  const imageIds = Int32Array.from(idx, (c) => data.captions[c].imageIndex);
  return { size: B, inputs, tokens, imageIds };
}
