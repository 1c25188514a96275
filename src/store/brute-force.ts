import { metadataPath, metadataTakenAt } from './metadata-fields.js';
import type { SearchFilter, SearchHit, VectorItem } from './vector-store.js';

/** True when an item passes the filter's non-score conditions (the reference semantics every store follows). */
export function matchesFilter(item: VectorItem, filter: SearchFilter = {}): boolean {
  if (filter.excludeIds?.includes(item.id)) return false;
  if (filter.pathPrefix !== undefined) {
    const path = metadataPath(item.metadata);
    if (path === null || !path.startsWith(filter.pathPrefix)) return false;
  }
  if (filter.dateFrom !== undefined || filter.dateTo !== undefined) {
    const t = metadataTakenAt(item.metadata);
    if (t === null) return false;
    if (filter.dateFrom !== undefined && t < filter.dateFrom) return false;
    if (filter.dateTo !== undefined && t > filter.dateTo) return false;
  }
  return true;
}

/**
 * Exact top-k by cosine similarity (dot product of L2-normalised vectors): the ground truth
 * for recall measurements and store tests.
 */
export function bruteForceSearch(items: Iterable<VectorItem>, query: Float32Array, k: number, filter: SearchFilter = {}): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const item of items) {
    if (!matchesFilter(item, filter)) continue;
    let s = 0;
    for (let i = 0; i < query.length; i++) s += query[i] * item.vector[i];
    if (filter.minScore !== undefined && s < filter.minScore) continue;
    hits.push({ id: item.id, score: s, metadata: item.metadata });
  }
  hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  return hits.slice(0, Math.max(0, k));
}

/** Top-k ids over a flat matrix (n x dim, row-major): fast ground truth for benchmarks. */
export function bruteForceTopK(matrix: Float32Array, dim: number, query: Float32Array, k: number): number[] {
  const n = matrix.length / dim;
  const best: { i: number; s: number }[] = [];
  let worst = -Infinity;
  for (let r = 0; r < n; r++) {
    let s = 0;
    const o = r * dim;
    for (let j = 0; j < dim; j++) s += matrix[o + j] * query[j];
    if (best.length < k || s > worst) {
      best.push({ i: r, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
      worst = best[best.length - 1].s;
    }
  }
  return best.map((b) => b.i);
}
