import { createRng } from '../../src/util/rng.js';
import type { VectorItem } from '../../src/store/vector-store.js';

/** Standard normal from a uniform rng (Box-Muller). */
export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

/** A unit vector near `center` (spread = noise scale relative to the unit center). */
export function near(center: Float32Array, spread: number, rng: () => number): Float32Array {
  const v = new Float32Array(center.length);
  for (let i = 0; i < v.length; i++) v[i] = center[i] + spread * gaussian(rng);
  return normalise(v);
}

/**
 * Clustered unit vectors with library-like metadata: folders, dates (some missing), names with `_`
 * and quotes that a naive LIKE or SQL string would mishandle.
 */
export function makeItems(n: number, dim: number, seed = 1): VectorItem[] {
  const rng = createRng(seed);
  const centers = Array.from({ length: 8 }, () => near(new Float32Array(dim), 1, rng));
  const folders = ['lib/a/', 'lib/b/', "lib/it's/", 'lib/IMG_', 'lib/IMGX'];
  const items: VectorItem[] = [];
  for (let i = 0; i < n; i++) {
    const folder = folders[i % folders.length];
    const metadata: Record<string, unknown> = { path: `${folder}${String(i).padStart(4, '0')}.jpg`, n: i };
    if (i % 7 !== 0) metadata.takenAt = Date.UTC(2020, 0, 1) + i * 86_400_000; // one photo a day, every 7th undated
    items.push({ id: `img-${i}`, vector: near(centers[i % centers.length], 0.5 / Math.sqrt(dim), rng), metadata });
  }
  return items;
}
