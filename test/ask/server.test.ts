/** POST /v1/ask through the real server (Fastify inject) over a small library, as the web app calls it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentHash } from '../../src/apps/library/hash.js';
import { renderTextImage } from '../../src/eval/vqa-render.js';
import { createRng } from '../../src/util/rng.js';
import { closeOcr } from '../../src/apps/ask/ocr-engine.js';
import { DEMO, serverPerFile } from '../server/fixtures.js';

// The server's asker lives as long as the process; its OCR worker thread would keep this one alive.
const t = serverPerFile({}, closeOcr);
const dog = readFileSync(join(DEMO, 'dog-bicycle-truck.jpg'));

const body = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;

test('the server offers ask', async () => {
  const info = body(await t.server.app.inject('/v1/info')) as { features: { ask: boolean } };
  assert.equal(info.features.ask, true);
});

test('POST /v1/ask answers with the skill and its confidence, for an upload or a library id', async () => {
  const r = await t.server.app.inject({ method: 'POST', url: '/v1/ask', payload: { image: dog.toString('base64'), question: 'how many dogs are there?' } });
  assert.equal(r.statusCode, 200, r.body);
  const a = body(r);
  assert.equal(a.skill, 'count');
  assert.equal(a.answer, '1');
  assert.equal(typeof a.confidence, 'number');

  const byId = await t.server.app.inject({ method: 'POST', url: '/v1/ask', payload: { id: await contentHash(dog), question: '为什么这只狗坐着？' } });
  assert.equal(byId.statusCode, 200, byId.body);
  assert.equal(body(byId).skill, 'unanswerable');

  const sign = await renderTextImage('Ticket Office', createRng(21));
  const ocr = await t.server.app.inject({ method: 'POST', url: '/v1/ask', payload: { image: sign.png.toString('base64'), question: 'what does the sign say?' } });
  assert.equal(ocr.statusCode, 200, ocr.body);
  assert.deepEqual([body(ocr).skill, body(ocr).answer], ['ocr', 'Ticket Office']);
});

test('POST /v1/ask refuses a blank question and a corrupt image with a message', async () => {
  const blank = await t.server.app.inject({ method: 'POST', url: '/v1/ask', payload: { image: dog.toString('base64'), question: '   ' } });
  assert.ok(blank.statusCode >= 400 && blank.statusCode < 500, blank.body);
  assert.match(String(body(blank).message), /question is empty/);
  const corrupt = await t.server.app.inject({ method: 'POST', url: '/v1/ask', payload: { image: Buffer.from('not an image').toString('base64'), question: 'is there a dog?' } });
  assert.ok(corrupt.statusCode >= 400 && corrupt.statusCode < 500, corrupt.body);
});
