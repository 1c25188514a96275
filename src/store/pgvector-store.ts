import pg from 'pg';
import { UsageError, VlmError } from '../util/errors.js';
import { metadataPath, metadataTakenAt } from './metadata-fields.js';
import { checkVector, dedupeById, dimMismatch } from './store-input.js';
import type { ScanOptions, SearchFilter, SearchHit, VectorItem, VectorStore } from './vector-store.js';

export interface PgVectorStoreOptions {
  /** vector size; needed only to create the table before the first upsert (else read from it) */
  dim?: number;
  /** table name (default 'vlm_vectors', or `?table=` in the connection string) */
  table?: string;
  /** HNSW candidate list per query (pgvector's hnsw.ef_search; default 100, always >= k) */
  efSearch?: number;
  /** the same for searches with a filter (default 2 x efSearch) */
  efSearchFiltered?: number;
  /** HNSW build parameters (pgvector defaults 16 / 64) */
  m?: number;
  efConstruction?: number;
  /**
   * The ANN index: 'hnsw' (default) is kept up to date row by row from the start. 'ivfflat' builds many
   * times faster over a large bulk-loaded table, but its lists are clustered from the rows present when it
   * is built, so it is made by optimize() after loading (searches before that are exact scans).
   */
  index?: PgIndexKind;
  /** IVFFlat lists (default: rows / 1000 up to 1M rows, sqrt(rows) above — pgvector's guidance) */
  lists?: number;
  /** IVFFlat lists scanned per query (default sqrt(lists), or 10 when lists is left to the row count); filtered searches scan twice as many */
  probes?: number;
  /** connections in the pool (default 4) */
  poolSize?: number;
}

export type PgIndexKind = 'hnsw' | 'ivfflat';

/** pgvector's advice for IVFFlat lists: rows / 1000 up to a million rows, sqrt(rows) above. */
export function defaultLists(rows: number): number {
  return Math.max(1, Math.round(rows <= 1_000_000 ? rows / 1000 : Math.sqrt(rows)));
}

/** maintenance_work_mem while building HNSW: a graph that does not fit is built far more slowly. */
const BUILD_MEMORY = '1GB';
/** Rows per INSERT statement: 6 parameters each stays far below PostgreSQL's 65535-parameter limit. */
const INSERT_CHUNK = 500;

/** pgvector's text form; 9 significant digits round-trip any float32 exactly. */
export function vectorLiteral(v: Float32Array): string {
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + (v[i] === 0 ? '0' : v[i].toPrecision(9));
  return s + ']';
}

function parseVector(text: string): Float32Array {
  return Float32Array.from(JSON.parse(text) as number[]);
}

/** LIKE pattern matching a plain prefix: `\`, `%` and `_` in the prefix match themselves. */
function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

/** Splits `?table=name` off a connection string (pg would pass unknown parameters to the server). */
export function parsePgSpec(spec: string): { url: string; table?: string } {
  const u = new URL(spec);
  const table = u.searchParams.get('table') ?? undefined;
  u.searchParams.delete('table');
  return { url: u.toString(), table };
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new UsageError(`invalid table name '${name}': use lower-case letters, digits and _`);
  }
  return `"${name}"`;
}

/** WHERE conditions for the filters, with their parameters numbered from `first`. */
function pgWhere(filter: SearchFilter, first: number): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (cond: (p: string) => string, value: unknown) => {
    params.push(value);
    parts.push(cond(`$${first + params.length - 1}`));
  };
  if (filter.pathPrefix !== undefined) add((p) => `path LIKE ${p} ESCAPE '\\'`, likePrefix(filter.pathPrefix));
  if (filter.dateFrom !== undefined) add((p) => `taken_at >= ${p}`, new Date(filter.dateFrom));
  if (filter.dateTo !== undefined) add((p) => `taken_at <= ${p}`, new Date(filter.dateTo));
  if (filter.excludeIds?.length) add((p) => `id <> ALL(${p}::text[])`, filter.excludeIds);
  return { sql: parts.length ? 'WHERE ' + parts.join(' AND ') : '', params };
}

interface Row {
  id: string;
  metadata: Record<string, unknown> | null;
  embedding?: string;
  distance?: number;
}

/**
 * Vector store on PostgreSQL + pgvector: one table (id, embedding, metadata jsonb, path, taken_at)
 * with an HNSW cosine index, so search is `ORDER BY embedding <=> $1 LIMIT k` with the filters in WHERE.
 * Filtered queries use pgvector's iterative index scan (0.8+) so a narrow filter still yields k hits.
 */
export class PgVectorStore implements VectorStore {
  private closed = false;
  private readonly tuned = new WeakSet<pg.PoolClient>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly table: string,
    private readonly tableName: string,
    private _dim: number | undefined,
    private readonly opts: PgVectorStoreOptions,
  ) {}

  static async open(spec: string, options: PgVectorStoreOptions = {}): Promise<PgVectorStore> {
    const { url, table: fromUrl } = parsePgSpec(spec);
    const tableName = options.table ?? fromUrl ?? 'vlm_vectors';
    const table = quoteIdent(tableName);
    const efSearch = Math.max(1, Math.floor(options.efSearch ?? 100));
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 4 });
    // an idle client's error (server restart) must not crash the process; the next query reports it
    pool.on('error', () => undefined);
    try {
      await pool.query('CREATE EXTENSION IF NOT EXISTS vector');
    } catch (err) {
      await pool.end();
      throw new VlmError(
        `cannot use PostgreSQL at ${new URL(url).host}: ${(err as Error).message} ` +
          '(is the server running, and is pgvector installed on it? see docs/postgres.md)',
        { cause: err },
      );
    }
    const stored = await PgVectorStore.storedDim(pool, tableName);
    if (stored !== undefined && options.dim !== undefined && stored !== options.dim) {
      await pool.end();
      throw dimMismatch(`table ${tableName}`, stored, options.dim);
    }
    const efSearchFiltered = Math.max(efSearch, Math.floor(options.efSearchFiltered ?? 2 * efSearch));
    const probes = Math.max(1, Math.floor(options.probes ?? Math.sqrt(options.lists ?? 100)));
    const store = new PgVectorStore(pool, table, tableName, stored, { ...options, efSearch, efSearchFiltered, probes });
    if (stored === undefined && options.dim !== undefined) await store.createTable(options.dim);
    return store;
  }

  /** The n of the embedding column's vector(n), or undefined when the table does not exist. */
  private static async storedDim(pool: pg.Pool, tableName: string): Promise<number | undefined> {
    const r = await pool.query<{ dim: number }>(
      `SELECT a.atttypmod AS dim FROM pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attname = 'embedding' AND NOT a.attisdropped`,
      [tableName],
    );
    return r.rows[0]?.dim;
  }

  get dim(): number | undefined {
    return this._dim;
  }

  private where(): string {
    return `table ${this.tableName}`;
  }

  private async createTable(dim: number): Promise<void> {
    const t = this.table;
    const ix = (suffix: string) => this.indexName(suffix);
    await withClient(this.pool, (client) =>
      inTransaction(client, async () => {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${t} (
             id text PRIMARY KEY,
             embedding vector(${dim}) NOT NULL,
             metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
             path text,
             taken_at timestamptz)`,
        );
        if (this.kind === 'hnsw') await client.query(this.annIndexSql(0));
        // text_pattern_ops lets `path LIKE 'prefix%'` use the index in any collation
        await client.query(`CREATE INDEX IF NOT EXISTS ${ix('path')} ON ${t} (path text_pattern_ops)`);
        await client.query(`CREATE INDEX IF NOT EXISTS ${ix('taken_at')} ON ${t} (taken_at)`);
      }),
    );
    const stored = await PgVectorStore.storedDim(this.pool, this.tableName);
    if (stored !== dim) throw dimMismatch(this.where(), stored ?? -1, dim);
    this._dim = dim;
  }

  private indexName(suffix: string): string {
    return quoteIdent(`${this.tableName}_${suffix}`.slice(0, 63));
  }

  private get kind(): PgIndexKind {
    return this.opts.index ?? 'hnsw';
  }

  /** CREATE INDEX for the configured kind; `rows` sizes IVFFlat's lists. */
  private annIndexSql(rows: number): string {
    if (this.kind === 'ivfflat') {
      const lists = Math.max(1, Math.floor(this.opts.lists ?? defaultLists(rows)));
      return `CREATE INDEX IF NOT EXISTS ${this.indexName('embedding_ivfflat')} ON ${this.table}
                USING ivfflat (embedding vector_cosine_ops) WITH (lists = ${lists})`;
    }
    const m = this.opts.m ?? 16;
    const efc = this.opts.efConstruction ?? 64;
    return `CREATE INDEX IF NOT EXISTS ${this.indexName('embedding_hnsw')} ON ${this.table}
              USING hnsw (embedding vector_cosine_ops) WITH (m = ${m}, ef_construction = ${efc})`;
  }

  /** The search-width setting of the index kind and its value for plain or filtered queries. */
  private searchWidth(filtered: boolean, k: number): { setting: string; value: number } {
    if (this.kind === 'ivfflat') {
      const probes = this.opts.probes!;
      return { setting: 'ivfflat.probes', value: filtered ? 2 * probes : probes };
    }
    return { setting: 'hnsw.ef_search', value: Math.min(1000, Math.max(Math.floor(k), filtered ? this.opts.efSearchFiltered! : this.opts.efSearch!)) };
  }

  private assertOpen(): void {
    if (this.closed) throw new VlmError(`${this.where()} store is closed`);
  }

  /**
   * A pooled connection with the search settings applied once per session: ef_search, and iterative
   * index scans (pgvector >= 0.8; older servers ignore it) so filtered queries still return k rows.
   */
  private async withSearchClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withClient(this.pool, async (client) => {
      if (!this.tuned.has(client)) {
        await client.query(`SET hnsw.ef_search = ${this.opts.efSearch}`);
        await client.query(`SET ivfflat.probes = ${this.opts.probes}`);
        await client.query(`SET ${this.kind}.iterative_scan = relaxed_order`).catch(() => undefined);
        this.tuned.add(client);
      }
      return fn(client);
    });
  }

  async upsert(items: VectorItem[]): Promise<void> {
    this.assertOpen();
    if (items.length === 0) return;
    // sorted ids: concurrent upserts lock rows in one order, so they cannot deadlock each other
    const batch = dedupeById(items).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const dim = this._dim ?? batch[0].vector.length;
    for (const item of batch) checkVector(this.where(), item.vector, dim);
    if (this._dim === undefined) await this.createTable(dim);
    await withClient(this.pool, (client) =>
      inTransaction(client, async () => {
        for (let i = 0; i < batch.length; i += INSERT_CHUNK) {
          const chunk = batch.slice(i, i + INSERT_CHUNK);
          const params: unknown[] = [];
          const rows = chunk.map((item) => {
            const t = metadataTakenAt(item.metadata);
            params.push(item.id, vectorLiteral(item.vector), JSON.stringify(item.metadata ?? {}), metadataPath(item.metadata), t === null ? null : new Date(t));
            const b = params.length - 5;
            return `($${b + 1}, $${b + 2}::vector, $${b + 3}::jsonb, $${b + 4}, $${b + 5}::timestamptz)`;
          });
          await client.query(
            `INSERT INTO ${this.table} (id, embedding, metadata, path, taken_at) VALUES ${rows.join(', ')}
             ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata,
               path = EXCLUDED.path, taken_at = EXCLUDED.taken_at`,
            params,
          );
        }
      }),
    );
  }

  async delete(ids: string[]): Promise<void> {
    this.assertOpen();
    if (ids.length === 0 || this._dim === undefined) return;
    await this.pool.query(`DELETE FROM ${this.table} WHERE id = ANY($1::text[])`, [ids]);
  }

  async get(ids: string[]): Promise<VectorItem[]> {
    this.assertOpen();
    if (ids.length === 0 || this._dim === undefined) return [];
    const r = await this.pool.query<Row>(`SELECT id, embedding::text AS embedding, metadata FROM ${this.table} WHERE id = ANY($1::text[])`, [ids]);
    const found = new Map(r.rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = found.get(id);
      return row ? [{ id, vector: parseVector(row.embedding!), metadata: row.metadata ?? {} }] : [];
    });
  }

  async search(vector: Float32Array, k: number, filter: SearchFilter = {}): Promise<SearchHit[]> {
    this.assertOpen();
    if (this._dim === undefined || k <= 0) return [];
    checkVector(this.where(), vector, this._dim);
    const where = pgWhere(filter, 3);
    // relaxed_order iterative scans (better recall than strict_order) may return rows slightly out of
    // order: the materialised CTE takes the k rows, the outer query puts them in exact order
    const sql = `WITH hits AS MATERIALIZED (
                   SELECT id, metadata, embedding <=> $1::vector AS distance FROM ${this.table} ${where.sql}
                   ORDER BY embedding <=> $1::vector LIMIT $2)
                 SELECT * FROM hits ORDER BY distance, id`;
    const params = [vectorLiteral(vector), Math.floor(k), ...where.params];
    // A filter (pathPrefix, dates, exclusions) lowers HNSW recall: the graph walk meets many rows that
    // fail it. A wider candidate list restores it, and lets the planner prefer an exact scan of the
    // filtered rows when they are few (measured in bench/results/store.json).
    const width = this.searchWidth(where.params.length > 0, k);
    const sessionWidth = this.kind === 'ivfflat' ? this.opts.probes : this.opts.efSearch;
    const rows = await this.withSearchClient(async (client) => {
      if (width.value === sessionWidth) return (await client.query<Row>(sql, params)).rows;
      // a wider search for this query only (set_config(..., true) lasts until the transaction ends)
      return inTransaction(client, async () => {
        await client.query(`SELECT set_config($1, $2, true)`, [width.setting, String(width.value)]);
        return (await client.query<Row>(sql, params)).rows;
      });
    });
    const hits = rows.map((r) => ({ id: r.id, score: 1 - Number(r.distance), metadata: r.metadata ?? {} }));
    // hits are sorted by score, so dropping those under minScore after the cut equals filtering before it
    return filter.minScore === undefined ? hits : hits.filter((h) => h.score >= filter.minScore!);
  }

  async count(): Promise<number> {
    this.assertOpen();
    if (this._dim === undefined) return 0;
    const r = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`);
    return Number(r.rows[0].n);
  }

  async *scan(opts: ScanOptions = {}): AsyncIterable<VectorItem[]> {
    this.assertOpen();
    if (this._dim === undefined) return;
    const withVectors = opts.withVectors ?? true;
    const batchSize = Math.max(1, opts.batchSize ?? 1000);
    const where = pgWhere({ pathPrefix: opts.pathPrefix }, 3);
    const cols = withVectors ? 'id, embedding::text AS embedding, metadata' : 'id, metadata';
    // keyset pagination on the primary key: no long-lived cursor or transaction
    let after = '';
    for (;;) {
      const cond = where.sql ? `${where.sql} AND id > $1` : 'WHERE id > $1';
      const r = await this.pool.query<Row>(`SELECT ${cols} FROM ${this.table} ${cond} ORDER BY id LIMIT $2`, [after, batchSize, ...where.params]);
      if (r.rows.length === 0) return;
      yield r.rows.map((row) => ({
        id: row.id,
        vector: withVectors ? parseVector(row.embedding!) : new Float32Array(0),
        metadata: row.metadata ?? {},
      }));
      after = r.rows[r.rows.length - 1].id;
      if (r.rows.length < batchSize) return;
    }
  }

  /** HNSW indexes are maintained on every write; this refreshes planner statistics (and see dropAnnIndex). */
  async optimize(): Promise<void> {
    this.assertOpen();
    if (this._dim === undefined) return;
    await withClient(this.pool, async (client) => {
      // (re)creates the ANN index after dropAnnIndex() or a bulk load; a no-op when it exists
      await client.query(`SET maintenance_work_mem = '${BUILD_MEMORY}'`).catch(() => undefined);
      const rows = this.kind === 'ivfflat' ? Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`)).rows[0].n) : 0;
      await client.query(this.annIndexSql(rows));
      await client.query('RESET maintenance_work_mem');
      await client.query(`ANALYZE ${this.table}`);
    });
  }

  /**
   * For bulk loads (migrations, a first index of a huge library): building the HNSW graph once over
   * all rows is several times faster than inserting into it row by row. Drop it, load, then optimize().
   * Searches in between are exact (sequential scans).
   */
  async dropAnnIndex(): Promise<void> {
    this.assertOpen();
    if (this._dim === undefined) return;
    for (const kind of ['hnsw', 'ivfflat']) await this.pool.query(`DROP INDEX IF EXISTS ${this.indexName(`embedding_${kind}`)}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

export function openPgVectorStore(spec: string, options: PgVectorStoreOptions = {}): Promise<PgVectorStore> {
  return PgVectorStore.open(spec, options);
}

/** One pooled connection for fn, always released. */
async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}

/** fn between BEGIN and COMMIT; any error rolls back (best effort) and is rethrown. */
async function inTransaction<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
