import { after, before } from 'node:test';
import { startDevPgServer, type DevPgServer } from '../../src/store/dev-pg-server.js';
import { openPgVectorStore } from '../../src/store/pgvector-store.js';
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
