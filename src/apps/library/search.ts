/**
 * Search a library by text, by example image, or both (the image "plus" the words: a normalised
 * weighted sum of the two embeddings). Filters run inside the store, before the top-k cut.
 */
import type { EmbedTextOptions, Encoder } from '../../encoders/encoder.js';
import type { SearchFilter, SearchHit, VectorStore } from '../../store/vector-store.js';
import { UsageError } from '../../util/errors.js';
import { isHidden } from '../safety/policy.js';
import { pathsOf } from './library-item.js';
import { assertSameModel } from './model-check.js';
import { combine, resolveQueryImage, type QueryImage } from './query-image.js';

export interface LibraryQuery {
  text?: string;
  /** path of an example image (inside the library or not) */
  image?: string;
  /** weight of the text in a combined query, 0..1 (default 0.5); the image gets 1 - textWeight */
  textWeight?: number;
  lang?: EmbedTextOptions['lang'];
}

export interface LibraryFilter {
  /** plain prefix of any of an image's paths */
  pathPrefix?: string;
  /** capture date range, epoch ms, inclusive */
  from?: number;
  to?: number;
  minScore?: number;
  excludeIds?: string[];
  /** also return images the safety policy hid at index time (default: leave them out) */
  includeHidden?: boolean;
}

export interface LibraryHit {
  id: string;
  /** the copy to show: the first path matching the prefix filter, else the primary one */
  path: string;
  score: number;
  metadata: Record<string, unknown>;
}

export interface SearchOutcome {
  vector: Float32Array;
  image?: QueryImage;
  hits: LibraryHit[];
}

export const DEFAULT_TEXT_WEIGHT = 0.5;

/** The query vector: text, image, or their weighted sum. */
export async function queryVector(store: VectorStore, encoder: Encoder, q: LibraryQuery): Promise<{ vector: Float32Array; image?: QueryImage }> {
  const text = q.text?.trim();
  if (!text && !q.image) throw new UsageError('give a text to search for, an --image, or both');
  const w = q.textWeight ?? DEFAULT_TEXT_WEIGHT;
  if (!(w >= 0 && w <= 1)) throw new UsageError(`--text-weight must be between 0 and 1, got ${w}`);
  const image = q.image ? await resolveQueryImage(store, encoder, q.image) : undefined;
  const textVec = text ? (await encoder.embedTexts([text], q.lang ? { lang: q.lang } : undefined))[0] : undefined;
  if (image && textVec) return { vector: combine([{ vector: textVec, weight: w }, { vector: image.vector, weight: 1 - w }]), image };
  return { vector: (textVec ?? image?.vector)!, image };
}

/**
 * Top-k images for a query. An example image and its identical copies are left out of the results
 * (`vlm similar` is this with an image only).
 */
export async function searchLibrary(store: VectorStore, encoder: Encoder, q: LibraryQuery, k: number, filter: LibraryFilter = {}): Promise<SearchOutcome> {
  if (!(Number.isInteger(k) && k > 0)) throw new UsageError(`k must be a positive whole number, got ${k}`);
  const { vector, image } = await queryVector(store, encoder, q);
  const excludeIds = [...(filter.excludeIds ?? []), ...(image ? [image.id] : [])];
  const hits = await searchVector(store, vector, k, { ...filter, excludeIds });
  for (const h of hits) assertSameModel(h.metadata, encoder.id);
  return { vector, image, hits };
}

/**
 * Store search with the library's filters. Images hidden by the safety policy are left out unless
 * filter.includeHidden: the search widens until k visible hits are found (one query when nothing is hidden).
 */
export async function searchVector(store: VectorStore, vector: Float32Array, k: number, filter: LibraryFilter = {}): Promise<LibraryHit[]> {
  if (filter.includeHidden) return searchStore(store, vector, k, filter);
  for (let fetch = k; ; fetch *= 4) {
    const hits = await searchStore(store, vector, fetch, filter);
    const visible = hits.filter((h) => !isHidden(h.metadata));
    if (visible.length >= k || hits.length < fetch) return visible.slice(0, k);
  }
}

/** The path prefix also matches an image's other copies. */
async function searchStore(store: VectorStore, vector: Float32Array, k: number, filter: LibraryFilter): Promise<LibraryHit[]> {
  const base: SearchFilter = { dateFrom: filter.from, dateTo: filter.to, minScore: filter.minScore, excludeIds: filter.excludeIds?.length ? filter.excludeIds : undefined };
  const prefix = filter.pathPrefix;
  if (prefix === undefined) return (await store.search(vector, k, base)).map((h) => toHit(h));
  // the store filters on the primary path; copies elsewhere are caught by over-fetching without the prefix
  const [primary, wider] = await Promise.all([store.search(vector, k, { ...base, pathPrefix: prefix }), store.search(vector, 4 * k, base)]);
  const byId = new Map<string, LibraryHit>();
  for (const h of [...primary, ...wider]) {
    const hit = toHit(h, prefix);
    if (hit && !byId.has(h.id)) byId.set(h.id, hit);
  }
  return [...byId.values()].sort((a, b) => b.score - a.score).slice(0, k);
}

function toHit(h: SearchHit, prefix?: string): LibraryHit;
function toHit(h: SearchHit, prefix: string): LibraryHit | undefined;
function toHit(h: SearchHit, prefix?: string): LibraryHit | undefined {
  const paths = pathsOf(h.metadata);
  const path = prefix === undefined ? paths[0] : paths.find((p) => p.startsWith(prefix));
  if (path === undefined) return prefix === undefined ? { id: h.id, path: String(h.metadata.path ?? h.id), score: h.score, metadata: h.metadata } : undefined;
  return { id: h.id, path, score: h.score, metadata: h.metadata };
}
