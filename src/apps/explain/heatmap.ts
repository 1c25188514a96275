/**
 * A heatmap: one relevance value per region of the image, on a rows x cols grid laid over the whole
 * picture (cell (r, c) covers rows r/rows..(r+1)/rows and columns c/cols..(c+1)/cols of it).
 */
export interface Heatmap {
  rows: number;
  cols: number;
  /** row-major, rows * cols */
  values: Float32Array;
}

export function heatmap(rows: number, cols: number, values?: ArrayLike<number>): Heatmap {
  const v = new Float32Array(rows * cols);
  if (values) {
    if (values.length !== rows * cols) throw new RangeError(`heatmap: ${values.length} values for ${rows}x${cols}`);
    v.set(values);
  }
  return { rows, cols, values: v };
}

/** Min-max scaled to 0..1 (a flat map becomes all zeros: it singles out no region). */
export function normalize01(h: Heatmap): Heatmap {
  let lo = Infinity, hi = -Infinity;
  for (const x of h.values) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const span = hi - lo;
  return heatmap(h.rows, h.cols, h.values.map((x) => (span > 0 ? (x - lo) / span : 0)));
}

/** (x - mean) / std over the map: maps of different spread made comparable (a flat map becomes zeros). */
export function zscore(h: Heatmap): Heatmap {
  const n = h.values.length;
  let mu = 0;
  for (const x of h.values) mu += x / n;
  let v = 0;
  for (const x of h.values) v += (x - mu) ** 2 / n;
  const sd = Math.sqrt(v);
  return heatmap(h.rows, h.cols, h.values.map((x) => (sd > 0 ? (x - mu) / sd : 0)));
}

/** Rows of columns, rounded, for JSON. */
export function toNested(h: Heatmap, digits = 4): number[][] {
  const f = 10 ** digits;
  return Array.from({ length: h.rows }, (_, r) => Array.from(h.values.subarray(r * h.cols, (r + 1) * h.cols), (x) => Math.round(x * f) / f));
}

/**
 * Value at every pixel of a width x height image: bilinear between cell centres (edges clamped),
 * the way a coarse attention map is usually drawn over a photo.
 */
export function upsample(h: Heatmap, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  const { rows, cols, values } = h;
  const xs = new Float32Array(width), ys = new Float32Array(height);
  for (let x = 0; x < width; x++) xs[x] = Math.min(Math.max(((x + 0.5) / width) * cols - 0.5, 0), cols - 1);
  for (let y = 0; y < height; y++) ys[y] = Math.min(Math.max(((y + 0.5) / height) * rows - 0.5, 0), rows - 1);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(ys[y]), y1 = Math.min(y0 + 1, rows - 1), fy = ys[y] - y0;
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(xs[x]), x1 = Math.min(x0 + 1, cols - 1), fx = xs[x] - x0;
      const top = values[y0 * cols + x0] * (1 - fx) + values[y0 * cols + x1] * fx;
      const bottom = values[y1 * cols + x0] * (1 - fx) + values[y1 * cols + x1] * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** The same map on another grid: the mean of the upsampled values inside each new cell. */
export function resample(h: Heatmap, rows: number, cols: number): Heatmap {
  if (h.rows === rows && h.cols === cols) return heatmap(rows, cols, h.values);
  // sample at 4x the target resolution, then box-average
  const W = cols * 4, H = rows * 4;
  const fine = upsample(h, W, H);
  const out = heatmap(rows, cols);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out.values[Math.floor(y / 4) * cols + Math.floor(x / 4)] += fine[y * W + x] / 16;
  return out;
}

/** Pixel position (x, y) of the map's peak on a width x height image (centre of the strongest cell). */
export function peak(h: Heatmap, width: number, height: number): { x: number; y: number } {
  let best = 0;
  for (let i = 1; i < h.values.length; i++) if (h.values[i] > h.values[best]) best = i;
  const r = Math.floor(best / h.cols), c = best % h.cols;
  return { x: ((c + 0.5) / h.cols) * width, y: ((r + 0.5) / h.rows) * height };
}

/**
 * Gaussian smoothing (sigma in cells), separable, weights renormalised at the borders so edge cells are not
 * pulled down: a one-cell spike loses to a broad bump, which is what a peak should point at.
 */
export function smooth(h: Heatmap, sigma: number): Heatmap {
  if (!(sigma > 0)) return heatmap(h.rows, h.cols, h.values);
  const k = Math.ceil(3 * sigma);
  const w = Array.from({ length: 2 * k + 1 }, (_, i) => Math.exp(-((i - k) ** 2) / (2 * sigma * sigma)));
  const pass = (src: Float32Array, n: number, m: number, at: (a: number, b: number) => number): Float32Array => {
    // n lines of m values; at(line, pos) is the index of a value
    const out = new Float32Array(src.length);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < m; b++) {
        let s = 0, ws = 0;
        for (let d = -k; d <= k; d++) {
          const q = b + d;
          if (q < 0 || q >= m) continue;
          s += src[at(a, q)] * w[d + k];
          ws += w[d + k];
        }
        out[at(a, b)] = s / ws;
      }
    }
    return out;
  };
  const across = pass(h.values, h.rows, h.cols, (r, c) => r * h.cols + c);
  return heatmap(h.rows, h.cols, pass(across, h.cols, h.rows, (c, r) => r * h.cols + c));
}
