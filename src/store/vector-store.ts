/** A stored vector with its id and free-form metadata (JSON-serialisable). */
export interface VectorItem {
  id: string;
  vector: Float32Array;
  /**
   * Free-form, but two keys are also stored as columns so filters run inside the database:
   * `path` (string, matched by SearchFilter.pathPrefix) and `takenAt` (epoch ms or an ISO date
   * string; `date` is accepted as a fallback), matched by dateFrom/dateTo. See store/metadata-fields.ts.
   */
  metadata: Record<string, unknown>;
}

export interface SearchHit {
  id: string;
  /** cosine similarity (vectors are L2-normalised) */
  score: number;
  metadata: Record<string, unknown>;
}

/** Filters every store supports; applied before the top-k cut. */
export interface SearchFilter {
  /** plain string prefix of metadata.path (no wildcards: `_` and `%` match themselves) */
  pathPrefix?: string;
  /** epoch ms, inclusive; items without a date never match a date filter */
  dateFrom?: number;
  dateTo?: number;
  minScore?: number;
  excludeIds?: string[];
}

/** Options of VectorStore.scan. */
export interface ScanOptions {
  /** only items whose metadata.path starts with this */
  pathPrefix?: string;
  /** rows per yielded batch (default 1000) */
  batchSize?: number;
  /** false skips reading vectors (item.vector is then empty): listing ids/metadata is much cheaper */
  withVectors?: boolean;
}

/** Storage of embeddings behind one interface: LanceDB (embedded default) and PostgreSQL + pgvector. */
export interface VectorStore {
  /** vector dimension, known once the store holds (or was created for) vectors */
  readonly dim?: number;
  upsert(items: VectorItem[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  get(ids: string[]): Promise<VectorItem[]>;
  search(vector: Float32Array, k: number, filter?: SearchFilter): Promise<SearchHit[]>;
  count(): Promise<number>;
  /** every item, in batches (order unspecified): incremental indexing, dupes, export/migration */
  scan(opts?: ScanOptions): AsyncIterable<VectorItem[]>;
  /** fold recent writes into the ANN index and compact storage; call after a large indexing run */
  optimize(): Promise<void>;
  close(): Promise<void>;
}
