import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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
