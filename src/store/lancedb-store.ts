import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { VlmError } from '../util/errors.js';
import { log } from '../util/log.js';
import { itemsToTable, lanceSchema, schemaDim } from './lance-arrow.js';
import { checkVector, dedupeById, dimMismatch, SerialQueue } from './store-input.js';
import type { ScanOptions, SearchFilter, SearchHit, VectorItem, VectorStore } from './vector-store.js';

/** ANN index kinds we build; 'none' keeps exact (flat) search at any size. */
export type LanceIndexKind = 'ivf_pq' | 'ivf_hnsw_sq' | 'none';

export interface LanceDbStoreOptions {
  /** vector size; needed only to create a new table before the first upsert (else taken from it) */
  dim?: number;
  /** table name inside the folder (default 'vectors') */
  table?: string;
  /** ANN index built once the table holds indexThreshold rows (default 'ivf_hnsw_sq', see bench/store-bench.ts) */
  indexKind?: LanceIndexKind;
  /** rows before an ANN index pays off; below it search is exact (default 10_000) */
  indexThreshold?: number;
  /** IVF partitions searched per query (at least; more when a narrow filter leaves too few hits) */
  nprobes?: number;
  /** IVF_PQ: re-rank refineFactor * k candidates with full vectors */
  refineFactor?: number;
  /** IVF_HNSW_SQ: HNSW candidate list size */
  ef?: number;
}

/**
 * From bench/store-bench.ts on clustered 256-d data at 10k rows: IVF_HNSW_SQ with ef 100 gave
 * recall@10 0.988 and 0.978 under a 5% path filter; IVF_PQ reached 1.0 unfiltered but only
 * 0.60-0.90 filtered (PQ codes + prefilter), so HNSW_SQ is the default. The 100k/1M runs are
 * `node dist/bench/store-bench.js --sizes=100000` (see bench/results/store.json).
 * Flat (exact) search reads and scores the whole vector column per query: 270 ms of CPU at 100k
 * rows, so the index comes early, at 10k rows (~27 ms).
 */
const DEFAULTS = { indexKind: 'ivf_hnsw_sq' as LanceIndexKind, indexThreshold: 10_000, nprobes: 20, refineFactor: 10, ef: 100 };
/** Compact small fragments (one per write) and drop old versions every this many writes. */
const COMPACT_EVERY_WRITES = 100;
/** Versions kept for readers in other processes when compacting. */
const KEEP_VERSIONS_MS = 10 * 60_000;
/** Upper bound of partitions a filtered IVF search may widen to (lance caps it at the partition count). */
const MAX_NPROBES = 100_000;
/** Rows per SQL `IN (...)` list. */
const ID_CHUNK = 1000;

/** A SQL string literal for LanceDB's (DataFusion) dialect. */
function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function idList(ids: string[]): string {
  return ids.map(sqlString).join(', ');
}

/** Filters as one SQL predicate, pushed down to the scan (prefiltering) so top-k is taken after them. */
export function lanceWhere(filter: SearchFilter = {}): string | undefined {
  const parts: string[] = [];
  // starts_with treats `_` and `%` literally, unlike an unescaped LIKE (IMG_0001.jpg is a common name)
  if (filter.pathPrefix !== undefined) parts.push(`starts_with(path, ${sqlString(filter.pathPrefix)})`);
  if (filter.dateFrom !== undefined) parts.push(`taken_at >= ${Number(filter.dateFrom)}`);
  if (filter.dateTo !== undefined) parts.push(`taken_at <= ${Number(filter.dateTo)}`);
  if (filter.excludeIds?.length) parts.push(`id NOT IN (${idList(filter.excludeIds)})`);
  return parts.length ? parts.join(' AND ') : undefined;
}

function parseMetadata(raw: unknown): Record<string, unknown> {
  try {
    const v = JSON.parse(String(raw)) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Arrow row vector (a FixedSizeList cell) to an owned Float32Array. */
function toFloat32(cell: unknown): Float32Array {
  const c = cell as { toArray?: () => ArrayLike<number> } | ArrayLike<number>;
  const values = 'toArray' in c && typeof c.toArray === 'function' ? c.toArray() : (c as ArrayLike<number>);
  return Float32Array.from(values);
}

interface Row {
  id: string;
  metadata: string;
  vector?: unknown;
  _distance?: number;
}

/**
 * Embedded vector store in a folder (LanceDB). Writes are append-only, versioned commits, so a
 * process killed mid-write leaves the last committed version readable (test/store/lancedb-crash.test.ts).
 * Exact search until the table reaches indexThreshold rows, then an ANN index kept up to date by optimize().
 */
export class LanceDbStore implements VectorStore {
  private readonly writes = new SerialQueue();
  private writesSinceCompact = 0;
  private hasIndex = false;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly db: lancedb.Connection,
    private table: lancedb.Table | undefined,
    private readonly tableName: string,
    private _dim: number | undefined,
    private readonly opts: Required<Omit<LanceDbStoreOptions, 'dim' | 'table'>>,
  ) {}

  static async open(dir: string, options: LanceDbStoreOptions = {}): Promise<LanceDbStore> {
    const folder = resolve(dir);
    mkdirSync(folder, { recursive: true });
    const tableName = options.table ?? 'vectors';
    const db = await lancedb.connect(folder);
    let table: lancedb.Table | undefined;
    let dim = options.dim;
    if ((await db.tableNames()).includes(tableName) && !dropUncommitted(folder, tableName)) {
      table = await db.openTable(tableName);
      const stored = schemaDim(await table.schema());
      if (stored === undefined) throw new VlmError(`${folder}: table '${tableName}' is not a vlm vector table`);
      if (dim !== undefined && dim !== stored) throw dimMismatch(`vector store ${folder}`, stored, dim);
      dim = stored;
    }
    const opts = {
      indexKind: options.indexKind ?? DEFAULTS.indexKind,
      indexThreshold: options.indexThreshold ?? DEFAULTS.indexThreshold,
      nprobes: options.nprobes ?? DEFAULTS.nprobes,
      refineFactor: options.refineFactor ?? DEFAULTS.refineFactor,
      ef: options.ef ?? DEFAULTS.ef,
    };
    const store = new LanceDbStore(folder, db, table, tableName, dim, opts);
    if (table) store.hasIndex = await store.vectorIndexExists();
    return store;
  }

  get dim(): number | undefined {
    return this._dim;
  }

  private where(): string {
    return `vector store ${this.dir}`;
  }

  private async vectorIndexExists(): Promise<boolean> {
    if (!this.table) return false;
    return (await this.table.listIndices()).some((ix) => ix.columns.includes('vector'));
  }

  private async ensureTable(dim: number): Promise<lancedb.Table> {
    if (this.table) return this.table;
    // existOk: another process may have created it since we opened the folder
    this.table = await this.db.createEmptyTable(this.tableName, lanceSchema(dim), { mode: 'create', existOk: true });
    const stored = schemaDim(await this.table.schema());
    if (stored !== dim) throw dimMismatch(this.where(), stored ?? -1, dim);
    this._dim = dim;
    return this.table;
  }

  private assertOpen(): void {
    if (this.closed) throw new VlmError(`${this.where()} is closed`);
  }

  async upsert(items: VectorItem[]): Promise<void> {
    this.assertOpen();
    if (items.length === 0) return;
    const batch = dedupeById(items);
    const dim = this._dim ?? batch[0].vector.length;
    for (const item of batch) checkVector(this.where(), item.vector, dim);
    await this.writes.run(async () => {
      const table = await this.ensureTable(dim);
      await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(itemsToTable(batch, dim));
      await this.maintain();
    });
  }

  async delete(ids: string[]): Promise<void> {
    this.assertOpen();
    if (ids.length === 0 || !this.table) return;
    const table = this.table;
    await this.writes.run(async () => {
      for (let i = 0; i < ids.length; i += ID_CHUNK) await table.delete(`id IN (${idList(ids.slice(i, i + ID_CHUNK))})`);
      await this.maintain();
    });
  }

  async get(ids: string[]): Promise<VectorItem[]> {
    this.assertOpen();
    if (ids.length === 0 || !this.table) return [];
    const found = new Map<string, VectorItem>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const rows = (await this.table
        .query()
        .where(`id IN (${idList(ids.slice(i, i + ID_CHUNK))})`)
        .select(['id', 'vector', 'metadata'])
        .toArray()) as Row[];
      for (const r of rows) found.set(r.id, { id: r.id, vector: toFloat32(r.vector), metadata: parseMetadata(r.metadata) });
    }
    return ids.flatMap((id) => {
      const item = found.get(id);
      return item ? [item] : [];
    });
  }

  async search(vector: Float32Array, k: number, filter: SearchFilter = {}): Promise<SearchHit[]> {
    this.assertOpen();
    if (!this.table || k <= 0) return [];
    checkVector(this.where(), vector, this._dim ?? vector.length);
    let q = this.table.vectorSearch(vector).column('vector').distanceType('cosine').limit(Math.floor(k));
    const where = lanceWhere(filter);
    if (where) q = q.where(where);
    if (this.hasIndex) {
      // a narrow filter may leave fewer than k rows in the first nprobes partitions: search on until found
      // (maximum first: lance refuses a minimum above the current maximum)
      q = q.maximumNprobes(MAX_NPROBES).minimumNprobes(this.opts.nprobes);
      if (this.opts.indexKind === 'ivf_pq') q = q.refineFactor(this.opts.refineFactor);
      else q = q.ef(Math.max(this.opts.ef, k));
    }
    const rows = (await q.select(['id', 'metadata', '_distance']).toArray()) as Row[];
    const hits = rows.map((r) => ({ id: r.id, score: 1 - Number(r._distance), metadata: parseMetadata(r.metadata) }));
    // hits are sorted by score, so dropping those under minScore after the cut equals filtering before it
    return filter.minScore === undefined ? hits : hits.filter((h) => h.score >= filter.minScore!);
  }

  async count(): Promise<number> {
    this.assertOpen();
    return this.table ? this.table.countRows() : 0;
  }

  async *scan(opts: ScanOptions = {}): AsyncIterable<VectorItem[]> {
    this.assertOpen();
    if (!this.table) return;
    const withVectors = opts.withVectors ?? true;
    const batchSize = Math.max(1, opts.batchSize ?? 1000);
    let q = this.table.query().select(withVectors ? ['id', 'vector', 'metadata'] : ['id', 'metadata']);
    const where = lanceWhere({ pathPrefix: opts.pathPrefix });
    if (where) q = q.where(where);
    let out: VectorItem[] = [];
    for await (const batch of q) {
      for (const r of batch.toArray() as unknown as Row[]) {
        out.push({ id: r.id, vector: withVectors ? toFloat32(r.vector) : new Float32Array(0), metadata: parseMetadata(r.metadata) });
        if (out.length >= batchSize) {
          yield out;
          out = [];
        }
      }
    }
    if (out.length) yield out;
  }

  async optimize(): Promise<void> {
    this.assertOpen();
    await this.writes.run(() => this.compactAndIndex());
  }

  /** (Re)builds the ANN index of the configured kind now, whatever the row count (benchmarks, tuning). */
  async buildIndex(): Promise<void> {
    this.assertOpen();
    if (this.opts.indexKind === 'none') throw new VlmError(`${this.where()}: indexKind is 'none'`);
    await this.writes.run(() => this.buildIndexNow());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.writes.run(async () => undefined);
    this.closed = true;
    this.table?.close();
    this.db.close();
  }

  /** Runs after each write (inside the write queue). */
  private async maintain(): Promise<void> {
    this.writesSinceCompact++;
    if (this.writesSinceCompact >= COMPACT_EVERY_WRITES) {
      await this.compactAndIndex();
      return;
    }
    if (this.opts.indexKind === 'none' || !this.table) return;
    if (!this.hasIndex) {
      if ((await this.table.countRows()) >= this.opts.indexThreshold) await this.buildIndexNow();
      return;
    }
    // rows written after the index was built are searched exactly; fold them in once they add up
    if (this.writesSinceCompact % 10 === 0) {
      const stats = await this.table.indexStats('vector_idx');
      if (stats && stats.numUnindexedRows > Math.max(5_000, stats.numIndexedRows * 0.1)) await this.compactAndIndex();
    }
  }

  private async compactAndIndex(): Promise<void> {
    if (!this.table) return;
    this.writesSinceCompact = 0;
    await this.table.optimize({ cleanupOlderThan: new Date(Date.now() - KEEP_VERSIONS_MS) });
    if (!this.hasIndex && this.opts.indexKind !== 'none' && (await this.table.countRows()) >= this.opts.indexThreshold) {
      await this.buildIndexNow();
    }
  }

  private async buildIndexNow(): Promise<void> {
    if (!this.table) return;
    const rows = await this.table.countRows();
    const t0 = Date.now();
    log(`vector store: building ${this.opts.indexKind} index over ${rows} rows...`);
    const config =
      this.opts.indexKind === 'ivf_pq'
        ? lancedb.Index.ivfPq({ distanceType: 'cosine', numPartitions: Math.max(1, Math.round(Math.sqrt(rows))) })
        : lancedb.Index.hnswSq({ distanceType: 'cosine', numPartitions: Math.max(1, Math.round(rows / 100_000)) });
    await this.table.createIndex('vector', { config, replace: true, name: 'vector_idx' });
    this.hasIndex = true;
    log(`vector store: index built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

export function openLanceDbStore(dir: string, options: LanceDbStoreOptions = {}): Promise<LanceDbStore> {
  return LanceDbStore.open(dir, options);
}

/**
 * A process killed while creating the table leaves its folder without a single committed version: LanceDB
 * lists it but cannot open it. It holds no data, so remove it and let the first upsert create the table again.
 */
function dropUncommitted(folder: string, tableName: string): boolean {
  const dataset = join(folder, `${tableName}.lance`);
  if (!existsSync(dataset)) return false;
  const versions = join(dataset, '_versions');
  if (existsSync(versions) && readdirSync(versions).some((f) => f.endsWith('.manifest'))) return false;
  log(`${folder}: table '${tableName}' was never committed (an interrupted first write); starting it again`);
  rmSync(dataset, { recursive: true, force: true });
  return true;
}
