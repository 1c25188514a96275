import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startDevPgServer, type DevPgServer } from '../../src/store/dev-pg-server.js';
import { openStore } from '../../src/store/open-store.js';
import { openPgVectorStore, PgVectorStore } from '../../src/store/pgvector-store.js';
import { storeContract } from './contract.js';

// A real pgvector (PGlite + pgvector) behind a real PostgreSQL socket: the store's `pg` client and SQL
// are exactly what runs against a PostgreSQL server.
let server: DevPgServer;
before(async () => {
  server = await startDevPgServer();
});
after(() => server.stop());
let n = 0;

storeContract({
  name: 'PostgreSQL + pgvector (PGlite over the wire protocol)',
  async fresh() {
    const table = `contract_${n++}`;
    return { open: (opts = {}) => openPgVectorStore(server.url, { ...opts, table }) };
  },
});

test('openStore picks pgvector for postgres:// and postgresql:// URLs, with ?table=', async () => {
  for (const scheme of ['postgres', 'postgresql']) {
    const url = server.url.replace(/^postgres/, scheme) + `?table=open_${scheme}`;
    const store = await openStore(` ${url} `, { dim: 4, defaultPath: '/nonexistent' });
    try {
      assert.ok(store instanceof PgVectorStore);
      await store.upsert([{ id: 'a', vector: new Float32Array([1, 0, 0, 0]), metadata: {} }]);
      assert.equal(await store.count(), 1);
    } finally {
      await store.close();
    }
  }
});

test('a server without the vector extension or unreachable gives a message that says what to do', async () => {
  await assert.rejects(openPgVectorStore('postgres://postgres@127.0.0.1:1/postgres', { dim: 4 }), /is the server running.*docs\/postgres\.md/);
});

test('an IVFFlat store is built by optimize() over the loaded rows and finds what exact search finds', async () => {
  const store = await openPgVectorStore(server.url, { dim: 8, table: 'ivf', index: 'ivfflat', lists: 4, probes: 4 });
  try {
    // 4 well-separated clusters of 100; with probes = lists the index scan is exhaustive
    const items = Array.from({ length: 400 }, (_, i) => {
      const v = new Float32Array(8);
      v[i % 4] = 1;
      v[4 + (i % 4)] = ((i * 37) % 101) / 1000;
      return { id: `r${i}`, vector: v, metadata: { path: `/c${i % 4}/${i}.jpg` } };
    });
    await store.upsert(items);
    await store.optimize();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const ix = await client.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE tablename = 'ivf' AND indexdef LIKE '%ivfflat%'`);
    await client.end();
    assert.equal(ix.rows.length, 1, 'one ivfflat index after optimize()');
    assert.match(ix.rows[0].indexdef, /lists='?4'?/);
    for (const q of [items[5], items[102], items[399]]) {
      const hits = await store.search(q.vector, 3);
      assert.equal(hits[0].id, q.id);
      assert.ok(hits.every((h) => h.metadata.path!.toString().startsWith(`/c${Number(q.id.slice(1)) % 4}/`)));
    }
    const filtered = await store.search(items[5].vector, 5, { pathPrefix: '/c1/' });
    assert.equal(filtered.length, 5);
    assert.ok(filtered.every((h) => String(h.metadata.path).startsWith('/c1/')));
  } finally {
    await store.close();
  }
});
