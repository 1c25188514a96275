import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeEncoder, type NativeEncoder } from '../../src/encoders/native.js';
import { decodeImage } from '../../src/image/decode.js';
import type { ImageInput, RgbImage } from '../../src/image/types.js';
import { defaultModelDir, repoRoot } from '../../src/util/paths.js';
import { captionLike } from './captions.js';

/**
 * The default model's Encoder on onnxruntime (both towers) against the tfjs-wasm path: same id, same outputs.
 * Images: the 68 demo photos plus mirrored and cropped variants, 100 in all.
 */

let onnx: NativeEncoder;
let tfjs: NativeEncoder;
before(async () => {
  onnx = await loadNativeEncoder(defaultModelDir, { backend: 'onnxruntime' });
  tfjs = await loadNativeEncoder(defaultModelDir, { backend: 'tfjs' });
});
after(async () => {
  await onnx.dispose();
  await tfjs.dispose();
});

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  a.forEach((v, i) => v.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i][j])))));
  return m;
}

function mirror(im: RgbImage): RgbImage {
  const out = new Uint8Array(im.data.length);
  for (let y = 0; y < im.height; y++) {
    for (let x = 0; x < im.width; x++) out.set(im.data.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3), (y * im.width + im.width - 1 - x) * 3);
  }
  return { width: im.width, height: im.height, data: out };
}

/** The central crop keeping `keep` of each side. */
function crop(im: RgbImage, keep: number): RgbImage {
  const w = Math.round(im.width * keep), h = Math.round(im.height * keep);
  const x0 = (im.width - w) >> 1, y0 = (im.height - h) >> 1;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(im.data.subarray(((y0 + y) * im.width + x0) * 3, ((y0 + y) * im.width + x0 + w) * 3), y * w * 3);
  return { width: w, height: h, data: out };
}

test('default model: runtimes, id and logit scale do not depend on the backend', () => {
  assert.deepEqual(onnx.runtimes, { image: 'onnxruntime', text: 'onnxruntime' });
  assert.deepEqual(tfjs.runtimes, { image: 'tfjs', text: 'tfjs' });
  assert.equal(onnx.id, tfjs.id);
  assert.match(onnx.id, /^vlm:vlm-default@[0-9a-f]{12}$/);
  assert.equal(onnx.dim, tfjs.dim);
  assert.ok(Math.abs(onnx.logitScale! - tfjs.logitScale!) < 1e-4);
});

test('default model: VLM_TOWER_BACKEND=tfjs forces tfjs for both towers', async () => {
  const old = process.env.VLM_TOWER_BACKEND;
  process.env.VLM_TOWER_BACKEND = 'tfjs';
  try {
    const enc = await loadNativeEncoder(defaultModelDir);
    assert.deepEqual(enc.runtimes, { image: 'tfjs', text: 'tfjs' });
    await enc.dispose();
  } finally {
    if (old === undefined) delete process.env.VLM_TOWER_BACKEND;
    else process.env.VLM_TOWER_BACKEND = old;
  }
});

test('default model: onnxruntime text embeddings match tfjs within 1e-4 (100 EN + ZH captions)', async (t) => {
  const texts = captionLike(100, 3);
  const d = maxAbsDiff(await onnx.embedTexts(texts), await tfjs.embedTexts(texts));
  t.diagnostic(`max abs difference: ${d.toExponential(2)}`);
  assert.ok(d < 1e-4, `max abs difference ${d}`);
});

test('default model: onnxruntime image embeddings match tfjs within 1e-4 (100 images)', async (t) => {
  const dir = join(repoRoot, 'assets', 'demo');
  const paths = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(dir, f));
  const inputs: ImageInput[] = [...paths];
  for (let i = 0; inputs.length < 100; i++) {
    const im = await decodeImage(paths[i % paths.length]);
    inputs.push(i % 2 === 0 ? mirror(im) : crop(im, 0.7));
  }
  assert.equal(inputs.length, 100);
  let d = 0;
  for (let i = 0; i < inputs.length; i += 25) {
    const batch = inputs.slice(i, i + 25);
    d = Math.max(d, maxAbsDiff(await onnx.embedImages(batch), await tfjs.embedImages(batch)));
  }
  t.diagnostic(`max abs difference: ${d.toExponential(2)}`);
  assert.ok(d < 1e-4, `max abs difference ${d}`);
});

test('flip test-time augmentation: onnxruntime and tfjs agree within 1e-4, and it changes the embedding', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-flip-'));
  try {
    for (const f of ['model.safetensors', 'tokenizer.json']) copyFileSync(join(defaultModelDir, f), join(dir, f));
    const config = JSON.parse(readFileSync(join(defaultModelDir, 'config.json'), 'utf8')) as { image: { flip_tta: boolean } };
    config.image.flip_tta = true;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const demo = join(repoRoot, 'assets', 'demo');
    const photos = readdirSync(demo).filter((f) => f.endsWith('.jpg')).sort().slice(0, 4).map((f) => join(demo, f));
    const a = await loadNativeEncoder(dir, { backend: 'onnxruntime' });
    const b = await loadNativeEncoder(dir, { backend: 'tfjs' });
    const ea = await a.embedImages(photos);
    const d = maxAbsDiff(ea, await b.embedImages(photos));
    const plain = await onnx.embedImages(photos);
    await a.dispose();
    await b.dispose();
    assert.ok(d < 1e-4, `max abs difference ${d}`);
    assert.ok(maxAbsDiff(ea, plain) > 1e-3, 'flip TTA should change the embeddings');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
