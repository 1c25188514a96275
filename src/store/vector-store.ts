/** A stored vector with its id and free-form metadata (JSON-serialisable). */
export interface VectorItem {
  id: string;
  vector: Float32Array;
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
  pathPrefix?: string;
  /** epoch ms, inclusive */
  dateFrom?: number;
  dateTo?: number;
  minScore?: number;
  excludeIds?: string[];
}

/** Storage of embeddings behind one interface: LanceDB (embedded default) and PostgreSQL + pgvector. */
export interface VectorStore {
  upsert(items: VectorItem[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  get(ids: string[]): Promise<VectorItem[]>;
  search(vector: Float32Array, k: number, filter?: SearchFilter): Promise<SearchHit[]>;
  count(): Promise<number>;
  close(): Promise<void>;
}
