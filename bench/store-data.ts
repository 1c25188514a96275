import { createRng } from '../src/util/rng.js';

/**
 * Synthetic embeddings shaped like real ones: unit vectors in clusters of uneven size (a few big
 * topics, many small ones) whose spread lies mostly in a low-dimensional subspace (real CLIP-style
 * embeddings have an intrinsic dimension of a few dozen), plus a little isotropic noise.
 * Uniform noise would make every neighbour equally far and tell nothing about an ANN index.
 */
export interface SyntheticSet {
  dim: number;
  /** n x dim, row-major, every row L2-normalised */
  data: Float32Array;
  /** cluster of each row (folders are derived from it, so path filters correlate with content like real albums) */
  cluster: Int32Array;
  queries: Float32Array[];
}

function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function normaliseRow(a: Float32Array, off: number, dim: number): void {
  let s = 0;
  for (let j = 0; j < dim; j++) s += a[off + j] * a[off + j];
  const inv = 1 / (Math.sqrt(s) || 1);
  for (let j = 0; j < dim; j++) a[off + j] *= inv;
}

export function makeSyntheticSet(n: number, dim: number, numQueries: number, seed = 1): SyntheticSet {
  const rng = createRng(seed);
  const LATENT = 32;
  const numClusters = Math.max(8, Math.round(Math.sqrt(n) * 2));
  const centers = new Float32Array(numClusters * dim);
  for (let i = 0; i < centers.length; i++) centers[i] = gaussian(rng);
  for (let c = 0; c < numClusters; c++) normaliseRow(centers, c * dim, dim);
  // shared latent directions: within-cluster variation along few axes
  const basis = new Float32Array(LATENT * dim);
  for (let i = 0; i < basis.length; i++) basis[i] = gaussian(rng) / Math.sqrt(dim);
  const spread = Float32Array.from({ length: numClusters }, () => 0.35 + 0.35 * rng());
  // Zipf-like cluster popularity
  const weights = Array.from({ length: numClusters }, (_, c) => 1 / (c + 10));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  weights.reduce((acc, w, i) => ((cdf[i] = acc + w / total), cdf[i]), 0);
  const pick = () => {
    const u = rng();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const z = new Float32Array(LATENT);
  const point = (out: Float32Array, off: number, c: number) => {
    // latent part has norm ~spread, isotropic part ~0.3 spread (center has norm 1)
    for (let l = 0; l < LATENT; l++) z[l] = (gaussian(rng) * spread[c]) / Math.sqrt(LATENT);
    for (let j = 0; j < dim; j++) {
      let v = centers[c * dim + j] + (0.3 * spread[c] * gaussian(rng)) / Math.sqrt(dim);
      for (let l = 0; l < LATENT; l++) v += z[l] * basis[l * dim + j];
      out[off + j] = v;
    }
    normaliseRow(out, off, dim);
  };
  const data = new Float32Array(n * dim);
  const cluster = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    cluster[i] = pick();
    point(data, i * dim, cluster[i]);
  }
  const queries = Array.from({ length: numQueries }, () => {
    const q = new Float32Array(dim);
    point(q, 0, pick());
    return q;
  });
  return { dim, data, cluster, queries };
}

/** Folder of row i: 20 folders by cluster, so one folder is ~5% of the rows. */
export function folderOf(cluster: number): string {
  return `lib/f${cluster % 20}/`;
}
