/** POST /v1/explain on a real server (tiny ONNX CLIP fixture, so the model-agnostic occlusion method). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { DEMO, serverPerFile } from '../server/fixtures.js';

const t = serverPerFile();
const cat = readFileSync(join(DEMO, 'cat.jpg'));

test('POST /v1/explain answers a PNG overlay at the image size, or the JSON grid and words', async () => {
  const meta = await sharp(cat).metadata();
  const png = await t.server.app.inject({ method: 'POST', url: '/v1/explain', payload: { image: cat.toString('base64'), text: 'a cat', format: 'png' } });
  assert.equal(png.statusCode, 200, png.body);
  assert.equal(png.headers['content-type'], 'image/png');
  const m = await sharp(png.rawPayload).metadata();
  assert.deepEqual([m.width, m.height], [meta.width, meta.height]);
  const js = await t.server.app.inject({ method: 'POST', url: '/v1/explain', payload: { image: cat.toString('base64'), text: 'a cat' } });
  assert.equal(js.statusCode, 200, js.body);
  const body = JSON.parse(js.body) as { width: number; grid: number[][]; words: { word: string }[]; method: string };
  assert.equal(body.width, meta.width);
  assert.equal(body.method, 'occlusion');
  assert.ok(body.grid.length > 1 && body.grid.flat().every((v) => v >= 0 && v <= 1));
  assert.deepEqual(body.words.map((w) => w.word), ['a', 'cat']);
});

test('POST /v1/explain refuses bad text with 400 and a message, and dense on a non-vlm model', async () => {
  for (const [text, re] of [['a cat\u0000', /control character U\+0000/], ['   ', /empty/], ['x'.repeat(501), /500/]] as const) {
    const r = await t.server.app.inject({ method: 'POST', url: '/v1/explain', payload: { image: cat.toString('base64'), text } });
    assert.equal(r.statusCode, 400, r.body);
    assert.match(r.body, re);
  }
  const r = await t.server.app.inject({ method: 'POST', url: '/v1/explain', payload: { image: cat.toString('base64'), text: 'a cat', method: 'dense' } });
  assert.equal(r.statusCode, 400, r.body);
});
