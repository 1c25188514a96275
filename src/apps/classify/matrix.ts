import { InputError } from '../../util/errors.js';

/**
 * Dense row-major float32 matrices for the few-shot methods: the data are small (thousands of rows of a
 * few hundred dims), so plain loops are enough, and one flat array keeps them cache-friendly.
 */
export interface Mat {
  rows: number;
  cols: number;
  data: Float32Array;
}

export function zeros(rows: number, cols: number): Mat {
  return { rows, cols, data: new Float32Array(rows * cols) };
}

/** Stack equal-length vectors as the rows of a matrix (copied). */
export function stack(vectors: ArrayLike<number>[], cols?: number): Mat {
  const d = cols ?? vectors[0]?.length;
  if (d === undefined) throw new InputError('cannot stack an empty list of vectors without a width');
  const m = zeros(vectors.length, d);
  vectors.forEach((v, i) => {
    if (v.length !== d) throw new InputError(`vector ${i} has ${v.length} dims, expected ${d}`);
    m.data.set(v, i * d);
  });
  return m;
}

export function row(m: Mat, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

export function toRows(m: Mat): Float32Array[] {
  return Array.from({ length: m.rows }, (_, i) => Float32Array.from(row(m, i)));
}

/** Rows picked by index (copied). */
export function selectRows(m: Mat, idx: ArrayLike<number>): Mat {
  const out = zeros(idx.length, m.cols);
  for (let k = 0; k < idx.length; k++) out.data.set(row(m, idx[k]), k * m.cols);
  return out;
}

/** L2-normalise every row in place (zero rows stay zero). */
export function normalizeRows(m: Mat): Mat {
  for (let i = 0; i < m.rows; i++) {
    const r = row(m, i);
    let s = 0;
    for (let j = 0; j < r.length; j++) s += r[j] * r[j];
    const n = Math.sqrt(s);
    if (n > 0) for (let j = 0; j < r.length; j++) r[j] /= n;
  }
  return m;
}

/** A Bᵀ (rows(A) x rows(B)) as float64: all dot products of A's rows with B's rows. */
export function mulABt(a: Mat, b: Mat): Float64Array {
  if (a.cols !== b.cols) throw new InputError(`matrix widths differ: ${a.cols} vs ${b.cols}`);
  const d = a.cols;
  const out = new Float64Array(a.rows * b.rows);
  const A = a.data;
  const B = b.data;
  for (let i = 0; i < a.rows; i++) {
    const ai = i * d;
    for (let j = 0; j < b.rows; j++) {
      const bj = j * d;
      // Four accumulators: lets V8 pipeline the multiply-adds (about 2x over one running sum).
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let k = 0;
      for (; k + 3 < d; k += 4) {
        s0 += A[ai + k] * B[bj + k];
        s1 += A[ai + k + 1] * B[bj + k + 1];
        s2 += A[ai + k + 2] * B[bj + k + 2];
        s3 += A[ai + k + 3] * B[bj + k + 3];
      }
      for (; k < d; k++) s0 += A[ai + k] * B[bj + k];
      out[i * b.rows + j] = s0 + s1 + s2 + s3;
    }
  }
  return out;
}

/** Row-wise log-softmax of an n x c logits array (float64), returned as a new array. */
export function logSoftmaxRows(logits: Float64Array, c: number): Float64Array {
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i += c) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, logits[i + j]);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(logits[i + j] - max);
    const lse = max + Math.log(s);
    for (let j = 0; j < c; j++) out[i + j] = logits[i + j] - lse;
  }
  return out;
}

/** Index of the largest value of each row (first on ties, as argmax in classification-metrics.ts). */
export function argmaxRows(values: Float64Array, c: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += c) {
    let best = 0;
    for (let j = 1; j < c; j++) if (values[i + j] > values[i + best]) best = j;
    out.push(best);
  }
  return out;
}

/** Float32 matrix <-> compact JSON: base64 of little-endian float32, bit-exact. */
export interface MatJson {
  rows: number;
  cols: number;
  f32: string;
}

export function matToJson(m: Mat): MatJson {
  const bytes = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  return { rows: m.rows, cols: m.cols, f32: bytes.toString('base64') };
}

export function matFromJson(j: MatJson, what: string): Mat {
  if (!j || !Number.isInteger(j.rows) || !Number.isInteger(j.cols) || typeof j.f32 !== 'string') {
    throw new InputError(`${what}: expected {rows, cols, f32}`);
  }
  const buf = Buffer.from(j.f32, 'base64');
  if (buf.length !== j.rows * j.cols * 4) throw new InputError(`${what}: ${buf.length} bytes for a ${j.rows} x ${j.cols} float32 matrix`);
  const data = new Float32Array(j.rows * j.cols);
  new Uint8Array(data.buffer).set(buf);
  return { rows: j.rows, cols: j.cols, data };
}
