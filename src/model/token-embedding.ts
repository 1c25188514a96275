import { VlmError } from '../util/errors.js';
import { normalValues } from './params.js';

/**
 * The token embedding table, kept in JS memory rather than as a tfjs variable.
 * Why: tf.gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks, and a dense gradient
 * over a 35k-row table would cost more than the rest of a step. Rows are gathered here into a dense
 * [B, T, dim] tensor; the trainer takes that tensor's gradient and scatter-adds it back (sparse AdamW).
 */
export class TokenEmbedding {
  constructor(
    readonly rows: number,
    readonly dim: number,
    /** rows x dim, row-major. */
    readonly data: Float32Array,
    /** 1 where the row may be updated by training; undefined = all rows. */
    readonly trainableRows?: Uint8Array,
  ) {
    if (data.length !== rows * dim) throw new VlmError(`token embedding: ${data.length} values for ${rows} x ${dim}`);
  }

  /** Rows for ids (row-major [ids.length, dim]). */
  gather(ids: ArrayLike<number>): Float32Array {
    const { dim, data, rows } = this;
    const out = new Float32Array(ids.length * dim);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < rows)) throw new VlmError(`token id ${id} outside the embedding table (0..${rows - 1})`);
      out.set(data.subarray(id * dim, (id + 1) * dim), i * dim);
    }
    return out;
  }

  isTrainable(row: number): boolean {
    return this.trainableRows ? this.trainableRows[row] === 1 : true;
  }
}

/**
 * Initialise the table: English rows from the GloVe vectors where they exist, every other row
 * (specials, words without a vector, Chinese characters) random with the same per-value spread as GloVe,
 * so no group of tokens starts out louder than another.
 */
export function initTokenEmbedding(opts: {
  rows: number;
  dim: number;
  /** First English row (= number of specials). */
  enOffset: number;
  /** enCount x dim GloVe vectors aligned with the English rows; an all-zero row = no vector. */
  glove?: Float32Array;
  enCount?: number;
  rng: () => number;
  trainable: 'all' | 'no_glove' | 'none';
}): TokenEmbedding {
  const { rows, dim, enOffset, glove, rng } = opts;
  const enCount = opts.enCount ?? 0;
  if (glove && glove.length !== enCount * dim) throw new VlmError(`GloVe init has ${glove.length} values, expected ${enCount} x ${dim}`);
  const hasVec = new Uint8Array(rows);
  let sum = 0;
  let sq = 0;
  let n = 0;
  if (glove) {
    for (let r = 0; r < enCount; r++) {
      let nz = false;
      for (let j = 0; j < dim; j++) if (glove[r * dim + j] !== 0) nz = true;
      if (!nz) continue;
      hasVec[enOffset + r] = 1;
      for (let j = 0; j < dim; j++) {
        const v = glove[r * dim + j];
        sum += v;
        sq += v * v;
        n++;
      }
    }
  }
  const mean = n ? sum / n : 0;
  const std = n ? Math.sqrt(Math.max(sq / n - mean * mean, 1e-8)) : 1 / Math.sqrt(dim);
  const data = normalValues(rows * dim, std, rng);
  if (glove) {
    for (let r = 0; r < enCount; r++) if (hasVec[enOffset + r]) data.set(glove.subarray(r * dim, (r + 1) * dim), (enOffset + r) * dim);
  }
  let trainableRows: Uint8Array | undefined;
  if (opts.trainable === 'none') trainableRows = new Uint8Array(rows);
  if (opts.trainable === 'no_glove') trainableRows = hasVec.map((h) => 1 - h);
  return new TokenEmbedding(rows, dim, data, trainableRows);
}
