/**
 * "More like these": Rocchio relevance feedback (the centroid of liked images minus a fraction of the
 * centroid of disliked ones) ranks the library, then MMR re-ranks a candidate pool so the answer is
 * not ten copies of one scene. The examples, their identical copies and their near duplicates are
 * never recommended back.
 */
import { dot, type Encoder } from '../../encoders/encoder.js';
import type { VectorStore } from '../../store/vector-store.js';
import { UsageError } from '../../util/errors.js';
import { mmrSelect } from './mmr.js';
import { DEFAULT_NEAR_DUP_THRESHOLD } from './near-dup-threshold.js';
import { combine, mean, resolveQueryImage, type QueryImage } from './query-image.js';
import { searchVector, type LibraryFilter, type LibraryHit } from './search.js';

export interface RecommendOptions {
  like: string[];
  dislike?: string[];
  /** how many to return (default 10) */
  k?: number;
  /** 0 = rank by similarity only, 1 = as varied as possible (MMR lambda = 1 - diversity; default 0.3) */
  diversity?: number;
  /** Rocchio weight of the disliked centroid (default 0.5; the liked one has weight 1) */
  dislikeWeight?: number;
  /** candidates re-ranked by MMR (default max(50, 5k)) */
  pool?: number;
  /** candidates at least this similar to an example are its near copies and left out (default: the dupes threshold) */
  nearDuplicate?: number;
  filter?: LibraryFilter;
}

export interface Recommendation extends LibraryHit {
  /** the MMR objective when it was picked (score is the cosine to the Rocchio query) */
  mmr: number;
}

export interface RecommendOutcome {
  vector: Float32Array;
  likes: QueryImage[];
  dislikes: QueryImage[];
  hits: Recommendation[];
}

export const DEFAULT_DIVERSITY = 0.3;
export const DEFAULT_DISLIKE_WEIGHT = 0.5;

export async function recommend(store: VectorStore, encoder: Encoder, opts: RecommendOptions): Promise<RecommendOutcome> {
  if (opts.like.length === 0) throw new UsageError('give at least one liked image: --like a.jpg,b.jpg');
  const k = opts.k ?? 10;
  if (!(Number.isInteger(k) && k > 0)) throw new UsageError(`--k must be a positive whole number, got ${k}`);
  const diversity = opts.diversity ?? DEFAULT_DIVERSITY;
  if (!(diversity >= 0 && diversity <= 1)) throw new UsageError(`--diversity must be between 0 and 1, got ${diversity}`);
  const beta = opts.dislikeWeight ?? DEFAULT_DISLIKE_WEIGHT;
  if (!(beta >= 0)) throw new UsageError(`--dislike-weight must be 0 or more, got ${beta}`);

  const resolveAll = (paths: string[]) => Promise.all(paths.map((p) => resolveQueryImage(store, encoder, p)));
  const likes = await resolveAll(opts.like);
  const dislikes = await resolveAll(opts.dislike ?? []);
  const parts = [{ vector: mean(likes.map((q) => q.vector)), weight: 1 }];
  if (dislikes.length && beta > 0) parts.push({ vector: mean(dislikes.map((q) => q.vector)), weight: -beta });
  const vector = combine(parts);

  const examples = [...likes, ...dislikes];
  const excludeIds = [...new Set([...(opts.filter?.excludeIds ?? []), ...examples.map((q) => q.id)])];
  const pool = Math.max(opts.pool ?? Math.max(50, 5 * k), k);
  const found = await searchVector(store, vector, pool, { ...opts.filter, excludeIds });
  const vectors = new Map((await store.get(found.map((h) => h.id))).map((it) => [it.id, it.vector]));
  const nearDup = opts.nearDuplicate ?? DEFAULT_NEAR_DUP_THRESHOLD;
  const candidates = found.flatMap((h) => {
    const v = vectors.get(h.id);
    if (!v || examples.some((q) => dot(q.vector, v) >= nearDup)) return [];
    return [{ hit: h, vector: v, relevance: h.score }];
  });
  const lambda = 1 - diversity;
  const order = mmrSelect(candidates, k, lambda);
  const hits: Recommendation[] = [];
  for (const i of order) {
    const c = candidates[i];
    const redundancy = hits.length ? Math.max(...hits.map((h) => dot(vectors.get(h.id)!, c.vector))) : 0;
    hits.push({ ...c.hit, mmr: lambda * c.relevance - (1 - lambda) * redundancy });
  }
  return { vector, likes, dislikes, hits };
}
