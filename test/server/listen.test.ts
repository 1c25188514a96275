/** The server on a real socket (random loopback port): startServer, SSE over HTTP, overload, CORS. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { makeLibrary, type TestLibrary } from './fixtures.js';

let lib: TestLibrary;
let server: RunningServer;

before(async () => {
  lib = await makeLibrary();
  // one job at a time, one waiting: easy to overload on purpose
  server = await startServer({
    port: 0, encoder: lib.encoder, library: [lib.root], db: lib.db, verbose: false,
    limits: { concurrency: 1, maxQueued: 1 }, corsOrigins: undefined,
  });
  const job = server.library.job;
  assert.ok(job, 'startServer brings the index up to date');
  await job.finished;
});
after(async () => {
  await server.close();
  await lib.cleanup();
});

test('listens on loopback only by default, and answers /healthz and /readyz', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const h = await fetch(`${server.url}/healthz`);
  assert.equal(h.status, 200);
  const r = await fetch(`${server.url}/readyz`);
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as { images: number }).images, 6);
});

test('POST /v1/index streams server-sent events over HTTP', async () => {
  const r = await fetch(`${server.url}/v1/index`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: '{}' });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
  const text = await r.text();
  const names = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
  assert.equal(names[0], 'start');
  assert.equal(names.at(-1), 'done');
});

test('overload answers 503 with Retry-After, never another error, and recovers', async () => {
  const hit = () => fetch(`${server.url}/v1/search?q=${encodeURIComponent('a photo of a horse')}&k=3`).then(async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), body: await r.text() }));
  const answers = await Promise.all(Array.from({ length: 24 }, hit));
  const statuses = answers.map((a) => a.status);
  assert.ok(statuses.every((s) => s === 200 || s === 503), `only 200 or 503: ${statuses.join(',')}`);
  assert.ok(statuses.includes(200));
  assert.ok(statuses.includes(503), 'with 1 running and 1 queued, 24 at once must overflow');
  for (const a of answers.filter((x) => x.status === 503)) {
    assert.ok(Number(a.retry) >= 1);
    assert.match((JSON.parse(a.body) as { message: string }).message, /busy/);
  }
  const after = await hit();
  assert.equal(after.status, 200);
});

test('CORS is off by default: no Access-Control-Allow-Origin for other origins', async () => {
  const r = await fetch(`${server.url}/v1/search?q=dog`, { headers: { origin: 'http://evil.example' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  const pre = await fetch(`${server.url}/v1/search`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
});

test('CORS can be opened to named origins', async () => {
  const open = await startServer({ port: 0, encoder: lib.encoder, library: [lib.root], db: lib.db, verbose: false, index: false, corsOrigins: ['http://app.example'] });
  try {
    const ok = await fetch(`${open.url}/v1/search?q=dog`, { headers: { origin: 'http://app.example' } });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'http://app.example');
    const other = await fetch(`${open.url}/v1/search?q=dog`, { headers: { origin: 'http://evil.example' } });
    assert.notEqual(other.headers.get('access-control-allow-origin'), 'http://evil.example');
  } finally {
    await open.close();
  }
});

test('refuses to bind a non-loopback address without an API key', async () => {
  await assert.rejects(startServer({ port: 0, host: '0.0.0.0', encoder: lib.encoder, library: [lib.root], db: lib.db, verbose: false, index: false }), /--api-key/);
});
