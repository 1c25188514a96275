/**
 * Duplicates in a library: exact copies (one row, several files: same content hash) and near copies
 * (resized, recompressed, lightly cropped). Two signals make a near pair, joined with union-find:
 *  - embedding cosine >= threshold, from a k-nearest-neighbour graph (every image asks the store for
 *    its closest few), so a large library costs n searches, not n^2 comparisons (small ones compare
 *    all pairs in memory);
 *  - perceptual hashes within a few bits (multi-index hashing, also sub-quadratic): a semantic
 *    embedding can move far for a small or heavily recompressed copy, a pHash barely moves.
 */
import { dot } from '../../encoders/encoder.js';
import type { VectorItem, VectorStore } from '../../store/vector-store.js';
import { UsageError } from '../../util/errors.js';
import { progress } from '../../util/progress.js';
import { rankKeepers, type KeeperCandidate } from './keeper.js';
import { filesOf } from './library-item.js';
import { DEFAULT_HASH_DISTANCE, DEFAULT_NEAR_DUP_THRESHOLD } from './near-dup-threshold.js';
import { closeHashPairs, hammingWords, hashWords, isPerceptualHash } from './perceptual-hash.js';
import { parallelMap } from './parallel-map.js';
import { UnionFind } from './union-find.js';

export interface DupesOptions {
  /** cosine similarity from which two images count as near duplicates (default: calibrated, see near-dup-threshold.ts) */
  threshold?: number;
  /** perceptual-hash bits (of 64) within which images are near duplicates (default 8; negative = off) */
  hashDistance?: number;
  /** neighbours asked per image in the k-NN graph (default 10) */
  neighbours?: number;
  /** up to this many images, compare all pairs in memory instead of querying the store (default 3000; 0 = always k-NN) */
  allPairsUpTo?: number;
  /** only images with a copy under this prefix */
  pathPrefix?: string;
  quiet?: boolean;
}

export interface DupeFile extends KeeperCandidate {
  id: string;
  /** cosine similarity of this file's image to the keeper's (1 for identical copies) */
  similarity: number;
  /** perceptual-hash bits differing from the keeper's (0 for identical copies; absent without hashes) */
  hashDistance?: number;
}

export interface DupeGroup {
  /** exact: all files have the same content; near: some differ (resized, recompressed, cropped, ...) */
  kind: 'exact' | 'near';
  /** the file to keep */
  keeper: string;
  reason: string;
  /** keeper first, then the others best first */
  files: DupeFile[];
}

export interface DupesReport {
  threshold: number;
  hashDistance: number;
  method: 'all-pairs' | 'knn';
  images: number;
  exact: number;
  near: number;
  groups: DupeGroup[];
  seconds: number;
}

interface Row {
  id: string;
  vector: Float32Array;
  hash?: [number, number];
  /** phashVersion: hashes are compared only within one version */
  hashVersion: number;
  files: DupeFile[];
}

export async function findDuplicates(store: VectorStore, opts: DupesOptions = {}): Promise<DupesReport> {
  const t0 = Date.now();
  const threshold = opts.threshold ?? DEFAULT_NEAR_DUP_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new UsageError(`--threshold must be in (0, 1], got ${threshold}`);
  const hashDistance = Math.floor(opts.hashDistance ?? DEFAULT_HASH_DISTANCE);
  const neighbours = Math.max(1, opts.neighbours ?? 10);
  const rows = await loadRows(store, opts.pathPrefix);
  const uf = new UnionFind(rows.length);
  const allPairs = rows.length <= (opts.allPairsUpTo ?? 3000);
  if (allPairs) linkAllPairs(rows, threshold, uf);
  else await linkNeighbours(store, rows, threshold, neighbours, uf, opts.quiet);
  // a library indexed partly before the pHash changed holds two kinds of hash: pair each kind only with itself
  for (const v of new Set(rows.map((r) => r.hashVersion))) {
    for (const [i, j] of closeHashPairs(rows.map((r) => (r.hashVersion === v ? r.hash : undefined)), hashDistance)) uf.union(i, j);
  }

  const groups: DupeGroup[] = [];
  for (const members of uf.groups(1)) {
    const files = members.flatMap((i) => rows[i].files);
    if (files.length < 2) continue;
    const { ranked, reason } = rankKeepers(files);
    const keeperRow = rows[members.find((i) => rows[i].id === ranked[0].id)!];
    for (const f of ranked) {
      const row = rows[members.find((i) => rows[i].id === f.id)!];
      f.similarity = row === keeperRow ? 1 : round(dot(keeperRow.vector, row.vector));
      if (row.hash && keeperRow.hash && row.hashVersion === keeperRow.hashVersion) f.hashDistance = hammingWords(row.hash, keeperRow.hash);
    }
    groups.push({ kind: members.length === 1 ? 'exact' : 'near', keeper: ranked[0].path, reason, files: ranked });
  }
  // biggest groups first, then by keeper path, so output is stable
  groups.sort((a, b) => b.files.length - a.files.length || (a.keeper < b.keeper ? -1 : 1));
  return {
    threshold,
    hashDistance,
    method: allPairs ? 'all-pairs' : 'knn',
    images: rows.length,
    exact: groups.filter((g) => g.kind === 'exact').length,
    near: groups.filter((g) => g.kind === 'near').length,
    groups,
    seconds: (Date.now() - t0) / 1000,
  };
}

async function loadRows(store: VectorStore, pathPrefix?: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of store.scan({ withVectors: true })) {
    for (const item of batch) {
      const files = dupeFiles(item).filter((f) => pathPrefix === undefined || f.path.startsWith(pathPrefix));
      const hash = isPerceptualHash(item.metadata.phash) ? hashWords(item.metadata.phash) : undefined;
      const hashVersion = typeof item.metadata.phashVersion === 'number' ? item.metadata.phashVersion : 1;
      if (files.length) rows.push({ id: item.id, vector: item.vector, hash, hashVersion, files });
    }
  }
  return rows;
}

function dupeFiles(item: VectorItem): DupeFile[] {
  const md = item.metadata;
  const num = (v: unknown, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const exifDate = md.dateSource === 'exif' ? num(md.takenAt, NaN) : NaN;
  return filesOf(md).map((f) => ({
    id: item.id,
    path: f.path,
    width: num(md.width),
    height: num(md.height),
    size: f.size >= 0 ? f.size : num(md.size),
    date: Number.isFinite(exifDate) ? exifDate : f.mtimeMs,
    mtimeMs: f.mtimeMs,
    similarity: 1,
  }));
}

/** Exact: every pair once, O(n^2 * dim); fine for a few thousand images. */
function linkAllPairs(rows: Row[], threshold: number, uf: UnionFind): void {
  for (let i = 0; i < rows.length; i++) {
    const a = rows[i].vector;
    for (let j = i + 1; j < rows.length; j++) if (dot(a, rows[j].vector) >= threshold) uf.union(i, j);
  }
}

/** The store's (ANN) k-NN per image, above the threshold: n searches. */
async function linkNeighbours(store: VectorStore, rows: Row[], threshold: number, k: number, uf: UnionFind, quiet?: boolean): Promise<void> {
  const index = new Map(rows.map((r, i) => [r.id, i]));
  const bar = progress('near duplicates', rows.length, { quiet });
  try {
    const search = async (i: number) => ({ i, hits: await store.search(rows[i].vector, k + 1, { minScore: threshold }) });
    const order = rows.map((_, i) => i);
    for await (const { i, hits } of parallelMap(order, search, { concurrency: 4 })) {
      for (const h of hits) {
        const j = index.get(h.id);
        if (j !== undefined && j !== i) uf.union(i, j);
      }
      bar.tick();
    }
  } finally {
    bar.stop();
  }
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
