import { after, before } from 'node:test';
import { startDevPgServer, type DevPgServer } from '../../src/store/dev-pg-server.js';
import { librarySuite } from './suite.js';

// a real pgvector (PGlite + pgvector) behind the PostgreSQL wire protocol, one table per library
let server: DevPgServer;
before(async () => {
  server = await startDevPgServer();
});
after(() => server?.stop());
let n = 0;
librarySuite({ name: 'PostgreSQL + pgvector', freshDb: () => `${server.url}?table=library_${n++}` });
