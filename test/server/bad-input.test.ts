/** Hostile and broken requests get a clear 4xx, never a crash, and the server keeps serving after each. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentHash } from '../../src/apps/library/hash.js';
import { bombPng, DEMO, makeServer, multipart, serverPerFile } from './fixtures.js';

const cat = readFileSync(join(DEMO, 'cat.jpg'));
const LIMIT = 200 * 1024;
const t = serverPerFile({ limits: { maxUploadBytes: LIMIT } });

const message = (r: { body: string }) => (JSON.parse(r.body) as { message: string }).message;

/** After every bad request: the server still answers a real search. */
async function stillServing(): Promise<void> {
  const r = await t.server.app.inject('/v1/search?q=a%20dog&k=2');
  assert.equal(r.statusCode, 200, `server stopped serving: ${r.body}`);
  assert.equal((JSON.parse(r.body) as { results: unknown[] }).results.length, 2);
}

function classify(image: Buffer) {
  return t.server.app.inject({ method: 'POST', url: '/v1/classify', payload: { image: image.toString('base64'), labels: ['cat', 'dog'] } });
}

test('wrong content types are refused with 415', async () => {
  for (const type of ['text/plain', 'application/xml', 'image/jpeg']) {
    const r = await t.server.app.inject({ method: 'POST', url: '/v1/classify', payload: type === 'image/jpeg' ? cat : 'labels=cat,dog', headers: { 'content-type': type } });
    assert.equal(r.statusCode, 415, `${type}: ${r.body}`);
    assert.match(message(r), /application\/json or multipart/);
    await stillServing();
  }
});

test('malformed JSON and unknown fields are 400', async () => {
  const r = await t.server.app.inject({ method: 'POST', url: '/v1/search', payload: '{"q": "dog"', headers: { 'content-type': 'application/json' } });
  assert.equal(r.statusCode, 400);
  const u = await t.server.app.inject({ method: 'POST', url: '/v1/search', payload: { q: 'dog', path: '/etc/passwd' } });
  assert.equal(u.statusCode, 400);
  assert.match(message(u), /additional properties/);
  const k = await t.server.app.inject('/v1/search?q=dog&k=100000');
  assert.equal(k.statusCode, 400);
  await stillServing();
});

test('oversized uploads are 413, as JSON base64 and as a multipart file', async () => {
  const big = Buffer.alloc(LIMIT * 2, 7);
  const j = await classify(big);
  assert.equal(j.statusCode, 413, j.body);
  const body = JSON.stringify({ image: Buffer.alloc(LIMIT * 3).toString('base64'), labels: ['a', 'b'] });
  const huge = await t.server.app.inject({ method: 'POST', url: '/v1/classify', payload: body, headers: { 'content-type': 'application/json' } });
  assert.equal(huge.statusCode, 413, 'over the JSON body limit');
  const form = multipart([['image', { file: big, name: 'big.jpg' }], ['labels', 'cat, dog']]);
  const mp = await t.server.app.inject({ method: 'POST', url: '/v1/classify', ...form });
  assert.equal(mp.statusCode, 413, mp.body);
  assert.match(message(mp), /too large/);
  await stillServing();
});

test('a truncated JPEG is 422 and says it is cut short', async () => {
  const r = await classify(cat.subarray(0, Math.floor(cat.length / 2)));
  assert.equal(r.statusCode, 422, r.body);
  assert.match(message(r), /truncated|cut short/);
  await stillServing();
});

test('a PNG whose header claims 20000x20000 is refused from the header (413), not decoded', async () => {
  const bomb = bombPng(20000, 20000);
  const before = process.memoryUsage().rss;
  for (const send of [
    () => classify(bomb),
    () => t.server.app.inject({ method: 'POST', url: '/v1/search', ...multipart([['image', { file: bomb, name: 'bomb.png', type: 'image/png' }]]) }),
    () => t.server.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { images: [bomb.toString('base64')] } }),
  ]) {
    const r = await send();
    assert.equal(r.statusCode, 413, r.body);
    assert.match(message(r), /20000x20000 = 400\.0 MP, over the 50 MP limit/);
    await stillServing();
  }
  // 400 MP of RGB would be 1.2 GB: nothing of the kind was allocated
  assert.ok(process.memoryUsage().rss - before < 300 * 1024 * 1024);
});

test('bytes that are no image are 422; text that is no base64 is 400', async () => {
  const r = await classify(Buffer.from('this is not an image, just text pretending'));
  assert.equal(r.statusCode, 422, r.body);
  const b = await t.server.app.inject({ method: 'POST', url: '/v1/classify', payload: { image: '***not base64***', labels: ['a', 'b'] } });
  assert.equal(b.statusCode, 400);
  await stillServing();
});

test('unknown routes and methods are JSON 404s', async () => {
  for (const [method, url] of [['GET', '/v1/nope'], ['DELETE', '/v1/search'], ['GET', '/v2/search?q=x']] as const) {
    const r = await t.server.app.inject({ method, url });
    assert.equal(r.statusCode, 404);
    assert.match(message(r), /no route .* \/docs/);
  }
  await stillServing();
});

test('path traversal: ids are hashes, folders and files stay inside the library', async () => {
  for (const url of ['/v1/images/..%2F..%2Fetc%2Fpasswd', '/v1/images/../../etc/passwd', '/v1/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd/info']) {
    const r = await t.server.app.inject(url);
    assert.ok(r.statusCode === 400 || r.statusCode === 404, `${url}: ${r.statusCode}`);
    assert.ok(!r.body.includes('root:'), 'no file content');
  }
  for (const folder of ['../private', '/etc', join(t.lib.root, '..', 'private'), 'link-out', 'album/../../private', 'nope\0']) {
    const r = await t.server.app.inject({ method: 'POST', url: '/v1/index', payload: { folder }, headers: { accept: 'application/json' } });
    assert.equal(r.statusCode, 403, `${folder}: ${r.body}`);
    await stillServing();
  }
  // the indexer followed the link to the private folder, but the server serves nothing from there
  const secretId = await contentHash(readFileSync(join(t.lib.outside, 'secret.jpg')));
  assert.equal((await t.lib.store.get([secretId])).length, 1);
  for (const size of ['original', 'thumb', '64']) {
    const r = await t.server.app.inject(`/v1/images/${secretId}?size=${size}`);
    assert.equal(r.statusCode, 403, `${size}: ${r.body}`);
  }
  // nor lists it
  for (const url of ['/v1/search?q=a%20bird&k=50', '/v1/dupes']) assert.ok(!(await t.server.app.inject(url)).body.includes(secretId), url);
  const similar = await t.server.app.inject({ method: 'POST', url: '/v1/search', payload: { q: 'an eagle', k: 50 } });
  assert.ok(!similar.body.includes(secretId));
  // a row pointing outside the roots (a store shared with another library, or edited by hand)
  const [row] = await t.lib.store.get([await contentHash(cat)]);
  const fakeId = 'e'.repeat(64);
  await t.lib.store.upsert([{ id: fakeId, vector: row.vector, metadata: { ...row.metadata, path: '/etc/passwd', paths: ['/etc/passwd'], files: [{ path: '/etc/passwd', size: 1, mtimeMs: 1 }] } }]);
  const r = await t.server.app.inject(`/v1/images/${fakeId}?size=original`);
  assert.equal(r.statusCode, 403);
  assert.ok(!r.body.includes('root:'));
  const rec = await t.server.app.inject({ method: 'POST', url: '/v1/recommend', payload: { like: [fakeId] } });
  assert.equal(rec.statusCode, 403);
  await t.lib.store.delete([fakeId]);
  await stillServing();
});

test('the web app folder is served, and nothing beside it', async () => {
  const web = join(t.lib.dir, 'web');
  mkdirSync(web);
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(t.lib.dir, 'beside.txt'), 'not for the web');
  const withWeb = await makeServer(t.lib, { webDir: web });
  try {
    const home = await withWeb.app.inject('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /<title>app<\/title>/);
    for (const url of ['/../beside.txt', '/%2e%2e/beside.txt', '/..%2fbeside.txt', '/%2e%2e%2fbeside.txt', '/....//beside.txt', '/.%00./beside.txt']) {
      const r = await withWeb.app.inject(url);
      assert.notEqual(r.statusCode, 200, url);
      assert.ok(!r.body.includes('not for the web'), url);
    }
  } finally {
    await withWeb.app.close();
  }
  await stillServing();
});

test('write endpoints need the API key when one is set; read endpoints do not', async () => {
  const keyed = await makeServer(t.lib, { apiKey: 's3cret', host: '0.0.0.0' });
  try {
    const none = await keyed.app.inject({ method: 'POST', url: '/v1/index', payload: {} });
    assert.equal(none.statusCode, 401);
    assert.match(message(none), /API key/);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="vlm"');
    const wrong = await keyed.app.inject({ method: 'POST', url: '/v1/index', payload: {}, headers: { 'x-api-key': 'guess' } });
    assert.equal(wrong.statusCode, 401);
    const ok = await keyed.app.inject({ method: 'POST', url: '/v1/index', payload: {}, headers: { authorization: 'Bearer s3cret', accept: 'application/json' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await keyed.app.inject('/v1/search?q=dog')).statusCode, 200);
  } finally {
    await keyed.app.close();
  }
  await assert.rejects(makeServer(t.lib, { host: '0.0.0.0' }), /--api-key/);
  await stillServing();
});
