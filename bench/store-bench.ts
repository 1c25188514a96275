import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { bruteForceTopK } from '../src/store/brute-force.js';
import { spawnDevPgServer } from '../src/store/dev-pg-server.js';
import { openLanceDbStore, type LanceDbStoreOptions, type LanceIndexKind } from '../src/store/lancedb-store.js';
import { defaultLists, openPgVectorStore, type PgIndexKind, type PgVectorStoreOptions } from '../src/store/pgvector-store.js';
import type { SearchFilter, VectorItem, VectorStore } from '../src/store/vector-store.js';
import { cacheDir, repoRoot } from '../src/util/paths.js';
import { log } from '../src/util/log.js';
import { machineInfo, percentile, writeResult, type Benchmark } from './harness.js';
import { folderOf, makeSyntheticSet, type SyntheticSet } from './store-data.js';

/**
 * Vector store search: latency p50/p99 and recall@10 against exact brute force, on clustered
 * synthetic 256-d embeddings, for LanceDB (flat and each ANN index, swept over its search knobs)
 * and pgvector HNSW (PGlite over the wire protocol, server in a child process).
 */
export interface StoreBenchOptions {
  sizes: number[];
  stores?: ('lancedb' | 'pgvector')[];
  dim?: number;
  queries?: number;
  k?: number;
  lanceIndexes?: Exclude<LanceIndexKind, 'none'>[];
  /** skip flat (exact) LanceDB search above this many rows (it is the baseline, not a contender) */
  flatUpTo?: number;
  /** pgvector ANN indexes to measure (HNSW builds too slowly under PGlite's wasm beyond ~100k rows) */
  pgIndexes?: PgIndexKind[];
}

export interface StoreBenchRow {
  store: 'lancedb' | 'pgvector';
  n: number;
  index: string;
  params: Record<string, number>;
  /** upserting all rows (without an ANN index) */
  loadSeconds?: number;
  /** building the ANN index over them */
  buildSeconds?: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerQuery: number;
  recallAt10: number;
  /** same, with a pathPrefix filter keeping ~5% of the rows */
  filtered?: { p50Ms: number; cpuMsPerQuery: number; recallAt10: number };
  /** 1-minute load average when measured: other jobs on the machine inflate wall-clock latency */
  loadAvg: number;
}

const LANCE_SWEEP: Record<Exclude<LanceIndexKind, 'none'>, Partial<LanceDbStoreOptions>[]> = {
  ivf_hnsw_sq: [{ ef: 20 }, { ef: 40 }, { ef: 100 }, { ef: 200 }],
  ivf_pq: [
    { nprobes: 10, refineFactor: 5 },
    { nprobes: 20, refineFactor: 10 },
    { nprobes: 40, refineFactor: 10 },
    { nprobes: 40, refineFactor: 30 },
  ],
};
const PG_EF_SWEEP = [40, 100, 200];
/** IVFFlat probes as multiples of sqrt(lists) */
const PG_PROBE_SWEEP = [0.3, 0.5, 1, 2];

/** The search settings swept for one pgvector index kind over n rows, and how each row labels them. */
function pgSweep(kind: PgIndexKind, n: number): { options: PgVectorStoreOptions; params: Record<string, number> }[] {
  if (kind === 'hnsw') {
    return PG_EF_SWEEP.map((efSearch) => ({ options: { efSearch }, params: { efSearch, efSearchFiltered: 2 * efSearch, m: 16, efConstruction: 64 } }));
  }
  const lists = defaultLists(n);
  return PG_PROBE_SWEEP.map((f) => Math.max(1, Math.round(f * Math.sqrt(lists)))).map((probes) => ({
    options: { index: 'ivfflat' as const, lists, probes },
    params: { lists, probes, probesFiltered: 2 * probes },
  }));
}

function load1(): number {
  return +loadavg()[0].toFixed(2);
}

function toItems(set: SyntheticSet, from: number, to: number): VectorItem[] {
  const items: VectorItem[] = [];
  for (let i = from; i < to; i++) {
    items.push({
      id: `v${i}`,
      vector: set.data.subarray(i * set.dim, (i + 1) * set.dim),
      metadata: { path: `${folderOf(set.cluster[i])}${i}.jpg`, takenAt: Date.UTC(2015, 0, 1) + i * 60_000 },
    });
  }
  return items;
}

async function load(store: VectorStore, set: SyntheticSet, n: number, chunk: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i += chunk) {
    await store.upsert(toItems(set, i, Math.min(n, i + chunk)));
    if ((i / chunk) % 10 === 9) log(`  loaded ${Math.min(n, i + chunk)} / ${n}`);
  }
  return (performance.now() - t0) / 1000;
}

interface Truth {
  plain: number[][];
  filtered: number[][];
  filter: SearchFilter;
}

function groundTruth(set: SyntheticSet, n: number, k: number): Truth {
  // exact search over n rows is the slowest part of small runs: keep it (the data are seeded)
  const cached = cacheDir('bench', `truth-${n}-${set.dim}-${set.queries.length}-${k}-seed1.json`);
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as Truth;
  const truth = computeTruth(set, n, k);
  mkdirSync(cacheDir('bench'), { recursive: true });
  writeFileSync(cached, JSON.stringify(truth));
  return truth;
}

function computeTruth(set: SyntheticSet, n: number, k: number): Truth {
  const t0 = performance.now();
  const matrix = set.data.subarray(0, n * set.dim);
  const plain = set.queries.map((q) => bruteForceTopK(matrix, set.dim, q, k));
  // filtered: the rows of one folder, as their own matrix
  const folder = folderOf(3);
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (folderOf(set.cluster[i]) === folder) rows.push(i);
  const sub = new Float32Array(rows.length * set.dim);
  rows.forEach((r, j) => sub.set(set.data.subarray(r * set.dim, (r + 1) * set.dim), j * set.dim));
  const filtered = set.queries.map((q) => bruteForceTopK(sub, set.dim, q, k).map((j) => rows[j]));
  log(`  ground truth for ${n} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s (filter keeps ${rows.length})`);
  return { plain, filtered, filter: { pathPrefix: folder } };
}

/** CPU time (user + system, ms) of this process plus, if given, another one (the database server). */
function cpuMs(otherPid?: number): number {
  const own = process.cpuUsage();
  let other = 0;
  if (otherPid !== undefined && otherPid !== process.pid) {
    // /proc/<pid>/stat fields 14, 15: utime, stime in clock ticks (100 Hz on Linux)
    const fields = readFileSync(`/proc/${otherPid}/stat`, 'utf8').split(') ')[1].split(' ');
    other = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  }
  return (own.user + own.system) / 1000 + other;
}

interface Measured {
  p50Ms: number;
  p99Ms: number;
  /** CPU time per query across client and server: comparable even when other jobs load the machine */
  cpuMsPerQuery: number;
  recallAt10: number;
}

async function measure(store: VectorStore, set: SyntheticSet, truth: number[][], k: number, filter?: SearchFilter, serverPid?: number): Promise<Measured> {
  for (const q of set.queries.slice(0, 10)) await store.search(q, k, filter); // warm caches
  const cpu0 = cpuMs(serverPid);
  const times: number[] = [];
  let found = 0;
  let wanted = 0;
  for (const [i, q] of set.queries.entries()) {
    const t0 = performance.now();
    const hits = await store.search(q, k, filter);
    times.push(performance.now() - t0);
    const want = new Set(truth[i].map((r) => `v${r}`));
    wanted += want.size;
    found += hits.filter((h) => want.has(h.id)).length;
  }
  const cpuMsPerQuery = +((cpuMs(serverPid) - cpu0) / set.queries.length).toFixed(3);
  times.sort((a, b) => a - b);
  return { p50Ms: +percentile(times, 50).toFixed(3), p99Ms: +percentile(times, 99).toFixed(3), cpuMsPerQuery, recallAt10: +(found / Math.max(1, wanted)).toFixed(4) };
}

async function benchLance(set: SyntheticSet, n: number, truth: Truth, opts: Required<StoreBenchOptions>): Promise<StoreBenchRow[]> {
  const dir = cacheDir('bench', `lance-${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rows: StoreBenchRow[] = [];
  let store = await openLanceDbStore(dir, { dim: set.dim, indexKind: 'none' });
  const loadS = await load(store, set, n, 10_000);
  await store.optimize(); // one compaction after the load, as the indexer does
  log(`  lancedb: loaded ${n} in ${loadS.toFixed(1)} s`);
  if (n <= opts.flatUpTo) {
    const m = await measure(store, set, truth.plain, opts.k);
    const f = await measure(store, set, truth.filtered, opts.k, truth.filter);
    rows.push({ store: 'lancedb', n, index: 'flat', params: {}, loadSeconds: +loadS.toFixed(1), ...m, filtered: { p50Ms: f.p50Ms, cpuMsPerQuery: f.cpuMsPerQuery, recallAt10: f.recallAt10 }, loadAvg: load1() });
    log(`  lancedb flat: ${JSON.stringify(rows[rows.length - 1])}`);
  }
  await store.close();
  for (const kind of opts.lanceIndexes) {
    store = await openLanceDbStore(dir, { indexKind: kind });
    const t0 = performance.now();
    await (store as Awaited<ReturnType<typeof openLanceDbStore>>).buildIndex();
    const buildSeconds = +((performance.now() - t0) / 1000).toFixed(1);
    await store.close();
    for (const params of LANCE_SWEEP[kind]) {
      store = await openLanceDbStore(dir, { indexKind: kind, ...params });
      const m = await measure(store, set, truth.plain, opts.k);
      const f = await measure(store, set, truth.filtered, opts.k, truth.filter);
      rows.push({ store: 'lancedb', n, index: kind, params: params as Record<string, number>, loadSeconds: +loadS.toFixed(1), buildSeconds, ...m, filtered: { p50Ms: f.p50Ms, cpuMsPerQuery: f.cpuMsPerQuery, recallAt10: f.recallAt10 }, loadAvg: load1() });
      log(`  lancedb ${kind}: ${JSON.stringify(rows[rows.length - 1])}`);
      await store.close();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return rows;
}

async function benchPg(set: SyntheticSet, n: number, truth: Truth, opts: Required<StoreBenchOptions>): Promise<StoreBenchRow[]> {
  const rows: StoreBenchRow[] = [];
  for (const kind of opts.pgIndexes) rows.push(...(await benchPgIndex(kind, set, n, truth, opts)));
  return rows;
}

async function benchPgIndex(kind: PgIndexKind, set: SyntheticSet, n: number, truth: Truth, opts: Required<StoreBenchOptions>): Promise<StoreBenchRow[]> {
  // server in a child process: its wasm backend gets the other core, as a real server would.
  // The loaded database is kept in .cache: building indexes under wasm is slow, and the data is seeded.
  const dataDir = cacheDir('bench', `pg-${kind}-${n}-${set.dim}-seed1`);
  mkdirSync(dataDir, { recursive: true });
  const server = await spawnDevPgServer({ dataDir });
  const sweep = pgSweep(kind, n);
  const rows: StoreBenchRow[] = [];
  try {
    let store = await openPgVectorStore(server.url, { dim: set.dim, table: 'bench', ...sweep[0].options });
    let times = readMarker(dataDir);
    if ((await store.count()) !== n || !times) {
      // bulk path (docs/postgres.md): load without the ANN index, then build it once
      await store.dropAnnIndex();
      const loadSeconds = await load(store, set, n, 1000);
      const t0 = performance.now();
      await store.optimize();
      times = { loadSeconds: +loadSeconds.toFixed(1), buildSeconds: +((performance.now() - t0) / 1000).toFixed(1) };
      writeFileSync(join(dataDir, MARKER), JSON.stringify(times));
      log(`  pgvector ${kind}: ${JSON.stringify(times)}`);
    }
    await store.close();
    for (const { options, params } of sweep) {
      store = await openPgVectorStore(server.url, { table: 'bench', ...options });
      const m = await measure(store, set, truth.plain, opts.k, undefined, server.pid);
      const f = await measure(store, set, truth.filtered, opts.k, truth.filter, server.pid);
      rows.push({ store: 'pgvector', n, index: kind, params, ...times, ...m, filtered: { p50Ms: f.p50Ms, cpuMsPerQuery: f.cpuMsPerQuery, recallAt10: f.recallAt10 }, loadAvg: load1() });
      log(`  pgvector ${kind}: ${JSON.stringify(rows[rows.length - 1])}`);
      await store.close();
    }
  } finally {
    await server.stop();
  }
  return rows;
}

const MARKER = 'vlm-bench-times.json';

function readMarker(dir: string): { loadSeconds: number; buildSeconds: number } | undefined {
  const p = join(dir, MARKER);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { loadSeconds: number; buildSeconds: number }) : undefined;
}

export async function runStoreBench(options: StoreBenchOptions): Promise<{ dim: number; k: number; queries: number; rows: StoreBenchRow[] }> {
  const opts: Required<StoreBenchOptions> = {
    stores: ['lancedb', 'pgvector'],
    dim: 256,
    queries: 200,
    k: 10,
    lanceIndexes: ['ivf_hnsw_sq', 'ivf_pq'],
    flatUpTo: 200_000,
    pgIndexes: ['hnsw', 'ivfflat'],
    ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as StoreBenchOptions),
  };
  const rows: StoreBenchRow[] = [];
  for (const n of opts.sizes) {
    log(`store bench: ${n} vectors, dim ${opts.dim}`);
    const set = makeSyntheticSet(n, opts.dim, opts.queries, 1);
    const truth = groundTruth(set, n, opts.k);
    if (opts.stores.includes('lancedb')) rows.push(...(await benchLance(set, n, truth, opts)));
    if (opts.stores.includes('pgvector')) rows.push(...(await benchPg(set, n, truth, opts)));
  }
  return { dim: opts.dim, k: opts.k, queries: opts.queries, rows };
}

function parseOptions(args: string[]): StoreBenchOptions {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      sizes: { type: 'string' },
      stores: { type: 'string' },
      queries: { type: 'string' },
      'lance-indexes': { type: 'string' },
      'pg-indexes': { type: 'string' },
    },
  });
  const list = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
  const sizes = (list(values.sizes) ?? ['10000', '100000']).map((s) => Number(s.replace(/k$/i, '000').replace(/m$/i, '000000')));
  return {
    sizes,
    stores: list(values.stores) as StoreBenchOptions['stores'],
    queries: values.queries ? Number(values.queries) : undefined,
    lanceIndexes: list(values['lance-indexes']) as StoreBenchOptions['lanceIndexes'],
    pgIndexes: list(values['pg-indexes']) as StoreBenchOptions['pgIndexes'],
  };
}

const RESULT_FILE = join(repoRoot, 'bench', 'results', 'store.json');

/** Rows of earlier runs not re-measured now (a 1M run adds to the 10k/100k ones instead of erasing them). */
function keptRows(now: StoreBenchRow[]): StoreBenchRow[] {
  if (!existsSync(RESULT_FILE)) return [];
  try {
    const old = JSON.parse(readFileSync(RESULT_FILE, 'utf8')) as { rows?: StoreBenchRow[] };
    const key = (r: StoreBenchRow) => `${r.store}/${r.n}/${r.index}`;
    const remeasured = new Set(now.map(key));
    return (old.rows ?? []).filter((r) => !remeasured.has(key(r)));
  } catch {
    return [];
  }
}

/** For bench/run.ts: `npm run bench -- store --sizes=10000,100000 --stores=lancedb,pgvector`. */
export const storeBench: Benchmark = {
  name: 'store',
  description: 'vector store search latency p50/p99 and recall@10 vs brute force (LanceDB, pgvector)',
  async run(args) {
    const result = await runStoreBench(parseOptions(args));
    const rows = [...keptRows(result.rows), ...result.rows].sort((a, b) => a.n - b.n || a.store.localeCompare(b.store));
    return { ...result, rows, command: 'nice -n 10 node dist/bench/store-bench.js --sizes=10000,100000' };
  },
};

const invokedDirectly = (() => {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  storeBench
    .run(process.argv.slice(2))
    .then((result) => {
      const path = writeResult('store', result);
      console.log(JSON.stringify({ file: path, machine: machineInfo() }));
    })
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exit(1);
    });
}
