/** Every endpoint on a real (tiny) model and a real library, through Fastify's inject. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { contentHash } from '../../src/apps/library/hash.js';
import { dot } from '../../src/encoders/encoder.js';
import type { VlmServer } from '../../src/server/app.js';
import { DEMO, makeLibrary, makeServer, multipart, type TestLibrary } from './fixtures.js';

let lib: TestLibrary;
let server: VlmServer;
const cat = readFileSync(join(DEMO, 'cat.jpg'));
const eagle = readFileSync(join(DEMO, 'eagle.jpg'));
let catId: string;

before(async () => {
  lib = await makeLibrary();
  server = await makeServer(lib);
  catId = await contentHash(cat);
});
after(async () => {
  await server.app.close();
  await lib.cleanup();
});

const json = <T = Record<string, unknown>>(r: { body: string }) => JSON.parse(r.body) as T;
interface Hit { id: string; path: string; score: number; thumbnail: string }

test('healthz, readyz and info', async () => {
  const h = await server.app.inject('/healthz');
  assert.equal(h.statusCode, 200);
  assert.equal(json(h).status, 'ok');
  const r = await server.app.inject('/readyz');
  assert.equal(r.statusCode, 200);
  // 5 photos + the eagle reached through the link (indexed, but never served); the copy of cat.jpg is the same image
  assert.equal(json(r).images, 6);
  const info = json(await server.app.inject('/v1/info'));
  assert.equal(info.model, lib.encoder.id);
  assert.equal(info.dim, lib.encoder.dim);
  assert.deepEqual(info.features, { caption: true, ask: true, explain: true });
});

test('GET /v1/search ranks the library by the text, best first, in both languages', async () => {
  for (const q of ['a cat on a sofa', '一只猫']) {
    const r = await server.app.inject({ url: `/v1/search?q=${encodeURIComponent(q)}&k=4` });
    assert.equal(r.statusCode, 200, r.body);
    const { results } = json<{ results: Hit[] }>(r);
    assert.equal(results.length, 4);
    for (let i = 1; i < results.length; i++) assert.ok(results[i - 1].score >= results[i].score);
    // scores are the cosine between the query text and the stored image vectors
    const [t] = await lib.encoder.embedTexts([q]);
    const [item] = await lib.store.get([results[0].id]);
    assert.ok(Math.abs(dot(t, item.vector) - results[0].score) < 1e-4);
    for (const h of results) {
      assert.ok(!h.path.startsWith('/'), `paths are shown relative to the library: ${h.path}`);
      assert.equal(h.thumbnail, `/v1/images/${h.id}?size=thumb`);
    }
  }
});

test('POST /v1/search by library id, by upload (JSON and multipart) and image + text', async () => {
  const byId = json<{ results: Hit[] }>(await server.app.inject({ method: 'POST', url: '/v1/search', payload: { id: catId, k: 10 } }));
  assert.equal(byId.results.length, 4, 'everything but the example itself and the image outside the library');
  assert.ok(!byId.results.some((h) => h.id === catId));

  const up = await server.app.inject({ method: 'POST', url: '/v1/search', payload: { image: eagle.toString('base64'), k: 3 } });
  assert.equal(up.statusCode, 200, up.body);
  const [vec] = await lib.encoder.embedImages([eagle]);
  const top = json<{ results: Hit[] }>(up).results[0];
  const [item] = await lib.store.get([top.id]);
  assert.ok(Math.abs(dot(vec, item.vector) - top.score) < 1e-4);

  const form = multipart([['image', { file: eagle, name: 'eagle.jpg' }], ['q', 'a bird'], ['k', '2']]);
  const mp = await server.app.inject({ method: 'POST', url: '/v1/search', ...form });
  assert.equal(mp.statusCode, 200, mp.body);
  assert.equal(json<{ results: Hit[] }>(mp).results.length, 2);

  const none = await server.app.inject({ method: 'POST', url: '/v1/search', payload: { k: 3 } });
  assert.equal(none.statusCode, 400);
});

test('POST /v1/embeddings: texts and images, JSON and multipart, unit length, same as the encoder', async () => {
  const r = await server.app.inject({ method: 'POST', url: '/v1/embeddings', payload: { texts: ['a dog', '一只狗'], images: [cat.toString('base64')] } });
  assert.equal(r.statusCode, 200, r.body);
  const body = json<{ dim: number; data: { type: string; index: number; embedding: number[] }[] }>(r);
  assert.deepEqual(body.data.map((d) => [d.type, d.index]), [['text', 0], ['text', 1], ['image', 0]]);
  const [want] = await lib.encoder.embedImages([cat]);
  const got = Float32Array.from(body.data[2].embedding);
  assert.equal(got.length, body.dim);
  assert.ok(Math.abs(dot(got, got) - 1) < 1e-4);
  assert.ok(dot(got, want) > 0.9999);

  const form = multipart([['texts', 'a horse'], ['images', { file: cat, name: 'cat.jpg' }], ['images', { file: eagle, name: 'eagle.jpg' }]]);
  const mp = await server.app.inject({ method: 'POST', url: '/v1/embeddings', ...form });
  assert.equal(mp.statusCode, 200, mp.body);
  assert.equal(json<{ data: unknown[] }>(mp).data.length, 3);

  const empty = await server.app.inject({ method: 'POST', url: '/v1/embeddings', payload: {} });
  assert.equal(empty.statusCode, 400);
});

test('POST /v1/classify: probabilities over the user\'s labels, for an upload or a library image', async () => {
  const r = await server.app.inject({ method: 'POST', url: '/v1/classify', payload: { image: cat.toString('base64'), labels: ['cat', 'dog', 'rocket'] } });
  assert.equal(r.statusCode, 200, r.body);
  const { labels } = json<{ labels: { label: string; score: number }[] }>(r);
  assert.deepEqual(labels.map((l) => l.label).sort(), ['cat', 'dog', 'rocket']);
  assert.ok(Math.abs(labels.reduce((s, l) => s + l.score, 0) - 1) < 1e-3);
  for (let i = 1; i < labels.length; i++) assert.ok(labels[i - 1].score >= labels[i].score);

  // the same image by library id gives the same answer (the stored vector is the upload's)
  const byId = json<{ labels: unknown }>(await server.app.inject({ method: 'POST', url: '/v1/classify', payload: { id: catId, labels: ['cat', 'dog', 'rocket'] } }));
  assert.deepEqual(byId.labels, labels);

  const form = multipart([['image', { file: cat, name: 'cat.jpg' }], ['labels', '猫, 狗'], ['top', '1']]);
  const mp = await server.app.inject({ method: 'POST', url: '/v1/classify', ...form });
  assert.equal(mp.statusCode, 200, mp.body);
  const zh = json<{ lang: string; labels: { label: string }[] }>(mp);
  assert.equal(zh.lang, 'zh');
  assert.equal(zh.labels.length, 1);

  for (const payload of [{ image: cat.toString('base64'), labels: ['cat'] }, { image: cat.toString('base64') }, { labels: ['a', 'b'] }, { image: cat.toString('base64'), labels: ['a', 'b'], domain: 'nope' }]) {
    const bad = await server.app.inject({ method: 'POST', url: '/v1/classify', payload });
    assert.equal(bad.statusCode, 400, JSON.stringify(payload));
    assert.match(json<{ message: string }>(bad).message, /\w/);
  }
});

test('POST /v1/index streams progress as server-sent events; Accept: application/json gets one answer', async () => {
  const r = await server.app.inject({ method: 'POST', url: '/v1/index', payload: {} });
  assert.equal(r.statusCode, 200, r.body);
  assert.match(String(r.headers['content-type']), /^text\/event-stream/);
  const events = [...r.body.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({ event: m[1], data: JSON.parse(m[2]) as Record<string, unknown> }));
  assert.equal(events[0].event, 'start');
  const done = events.at(-1)!;
  assert.equal(done.event, 'done');
  const [summary] = done.data.folders as { unchanged: number; indexed: number }[];
  assert.equal(summary.indexed, 0, 'nothing changed since the first run');
  assert.equal(summary.unchanged, 7, "5 photos, the copy and the linked file");

  const j = await server.app.inject({ method: 'POST', url: '/v1/index', payload: { folder: 'album' }, headers: { accept: 'application/json' } });
  assert.equal(j.statusCode, 200, j.body);
  assert.equal(json<{ folders: { folder: string }[] }>(j).folders[0].folder, 'album');
  const status = json(await server.app.inject('/v1/index'));
  assert.equal(status.running, false);
});

test('GET /v1/images/:id: stored thumbnail, resized preview, original bytes, info without absolute paths', async () => {
  const thumb = await server.app.inject(`/v1/images/${catId}`);
  assert.equal(thumb.statusCode, 200);
  assert.equal(thumb.headers['content-type'], 'image/webp');
  assert.ok((await sharp(thumb.rawPayload).metadata()).width! <= 128);

  const p = await server.app.inject(`/v1/images/${catId}?size=64`);
  assert.equal(p.statusCode, 200);
  const m = await sharp(p.rawPayload).metadata();
  assert.equal(m.format, 'jpeg');
  assert.equal(Math.max(m.width!, m.height!), 64);

  const o = await server.app.inject(`/v1/images/${catId}?size=original`);
  assert.equal(o.statusCode, 200);
  assert.equal(o.headers['content-type'], 'image/jpeg');
  assert.ok(o.rawPayload.equals(cat));

  const info = json<{ paths: string[]; width: number; height: number; format: string }>(await server.app.inject(`/v1/images/${catId}/info`));
  assert.deepEqual(info.paths.sort(), ['album/cat-copy.jpg', 'cat.jpg']);
  const meta = await sharp(cat).metadata();
  assert.deepEqual([info.width, info.height, info.format], [meta.width, meta.height, 'jpeg']);
  assert.ok(!JSON.stringify(info).includes(lib.dir), 'no absolute path leaks');

  assert.equal((await server.app.inject(`/v1/images/${'0'.repeat(64)}`)).statusCode, 404);
  assert.equal((await server.app.inject(`/v1/images/${catId}?size=5`)).statusCode, 400);
});

test('POST /v1/recommend and GET /v1/dupes', async () => {
  const r = await server.app.inject({ method: 'POST', url: '/v1/recommend', payload: { like: [catId], k: 3 } });
  assert.equal(r.statusCode, 200, r.body);
  const { results } = json<{ results: Hit[] }>(r);
  assert.ok(results.length >= 1 && results.length <= 3);
  assert.ok(!results.some((h) => h.id === catId));
  assert.equal((await server.app.inject({ method: 'POST', url: '/v1/recommend', payload: { like: ['f'.repeat(64)] } })).statusCode, 404);
  assert.equal((await server.app.inject({ method: 'POST', url: '/v1/recommend', payload: { like: [] } })).statusCode, 400);

  // the fixture encoder has random weights (distinct photos embed close): near copies only above 0.9999
  const d = await server.app.inject('/v1/dupes?threshold=0.9999');
  assert.equal(d.statusCode, 200, d.body);
  const report = json<{ groups: { kind: string; files: { path: string }[] }[] }>(d);
  const exact = report.groups.find((g) => g.kind === 'exact');
  assert.ok(exact, 'cat.jpg and album/cat-copy.jpg are one image with two files');
  assert.deepEqual(exact.files.map((f) => f.path).sort(), ['album/cat-copy.jpg', 'cat.jpg']);
  assert.equal((await server.app.inject('/v1/dupes?threshold=2')).statusCode, 400);
});

test('caption and ask answer 501 when turned off; requests are validated first', async () => {
  const img = cat.toString('base64');
  const off = await makeServer(lib, { features: { caption: null, ask: null } });
  try {
    assert.deepEqual(json<{ features: unknown }>(await off.app.inject('/v1/info')).features, { caption: false, ask: false, explain: true });
    for (const [url, payload] of [['/v1/caption', { image: img }], ['/v1/ask', { image: img, question: 'is there a cat?' }]] as const) {
      const r = await off.app.inject({ method: 'POST', url, payload });
      assert.equal(r.statusCode, 501, `${url}: ${r.body}`);
      assert.match(json<{ message: string }>(r).message, /not available on this server .*issue \d/);
    }
    assert.equal((await off.app.inject({ method: 'POST', url: '/v1/ask', payload: { image: img } })).statusCode, 400, 'question missing');
  } finally {
    await off.app.close();
  }
});

test('a registered feature lights its endpoint up and receives the decoded image', async () => {
  const lit = await makeServer(lib, { features: { caption: async (_enc, image, o) => ({ caption: `${image.width}x${image.height}`, lang: o.lang ?? 'en' }) } });
  try {
    const r = await lit.app.inject({ method: 'POST', url: '/v1/caption', payload: { id: catId, lang: 'zh' } });
    assert.equal(r.statusCode, 200, r.body);
    const meta = await sharp(cat).metadata();
    assert.deepEqual(json(r), { caption: `${meta.width}x${meta.height}`, lang: 'zh' });
    assert.equal(json<{ features: { caption: boolean } }>(await lit.app.inject('/v1/info')).features.caption, true);
  } finally {
    await lit.app.close();
  }
});

test('OpenAPI document lists every endpoint', async () => {
  const r = await server.app.inject('/docs/json');
  assert.equal(r.statusCode, 200);
  const doc = json<{ openapi: string; paths: Record<string, unknown> }>(r);
  assert.match(doc.openapi, /^3\./);
  for (const p of ['/v1/embeddings', '/v1/classify', '/v1/search', '/v1/index', '/v1/images/{id}', '/v1/recommend', '/v1/dupes', '/v1/caption', '/v1/ask', '/v1/explain', '/healthz', '/readyz']) {
    assert.ok(p in doc.paths, `${p} documented`);
  }
  assert.equal((await server.app.inject('/docs')).statusCode < 400, true);
});
