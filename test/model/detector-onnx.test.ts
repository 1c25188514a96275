import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../../src/image/decode.js';
import { detectionCacheDir, readDetectionCache } from '../../src/model/detector-cache.js';
import { detectorFeatureRow } from '../../src/model/detector-features.js';
import { detectorModelPath } from '../../src/model/detector-paths.js';
import { centernetOnnxPath } from '../../src/model/detector-onnx.js';
import { loadDetector, NUM_COCO_CLASSES, type Detection, type Detector } from '../../src/model/detector.js';
import type { ImageInput } from '../../src/image/types.js';
import { datasetDir, repoRoot } from '../../src/util/paths.js';

// The centernet graph converted to ONNX by our own code must give what the tfjs graph gives.
const DEMO = ['dog-pekingese.jpg', 'person-dog-horse.jpg', 'kites-beach.jpg'].map((f) => join(repoRoot, 'assets', 'demo', f));
const flickr = datasetDir('flickr8k');
const cacheReady = existsSync(join(detectionCacheDir('centernet'), 'index.json'));

let ort: Detector;
let tfjs: Detector;
before(async () => {
  ort = await loadDetector('centernet', { backend: 'onnxruntime' });
  tfjs = await loadDetector('centernet', { backend: 'tfjs' });
});
after(() => {
  ort?.dispose();
  tfjs?.dispose();
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Every tfjs detection has an onnxruntime twin: same class, box within a pixel of the image, score within 1e-4. */
async function assertSameAnalysis(image: ImageInput, what: string): Promise<void> {
  const opts = { minScore: 0.1, maxDetections: 100 };
  const [a, b] = await Promise.all([tfjs.analyze(image, opts), ort.analyze(image, opts)]);
  const d = maxAbsDiff(a.classScores, b.classScores);
  assert.ok(d < 1e-4, `${what}: classScores differ by ${d}`);
  const { width, height } = await decodeImage(image);
  assert.equal(b.detections.length, a.detections.length, `${what}: ${a.detections.length} tfjs vs ${b.detections.length} onnxruntime detections`);
  const pixelsOff = (p: Detection, q: Detection) =>
    Math.max(...p.box.map((v, k) => Math.abs(v - q.box[k]) * (k % 2 === 0 ? width : height)));
  for (const p of a.detections) {
    const twin = b.detections.find((q) => q.classId === p.classId && pixelsOff(p, q) < 1 && Math.abs(q.score - p.score) < 1e-4);
    assert.ok(twin, `${what}: no onnxruntime match for ${p.label} ${p.score.toFixed(4)} at ${p.box.map((v) => v.toFixed(3))}`);
  }
}

test('loadDetector runs on onnxruntime by default and caches the converted graph', async () => {
  const byDefault = await loadDetector('centernet');
  byDefault.dispose();
  assert.equal(byDefault.runtime, process.env.VLM_TOWER_BACKEND === 'tfjs' ? 'tfjs' : 'onnxruntime');
  assert.equal(ort.runtime, 'onnxruntime');
  assert.equal(tfjs.runtime, 'tfjs');
  assert.ok(existsSync(centernetOnnxPath(detectorModelPath('centernet'))), 'converted ONNX file in the cache');
});

test('onnxruntime and tfjs give the same class scores and detections on demo photos', async () => {
  for (const path of DEMO) await assertSameAnalysis(path, path);
  // The graph's own peak picking found something in each (not a vacuous comparison).
  assert.ok((await ort.detect(DEMO[1])).some((d) => d.label === 'person'));
});

test('the same on a photo above 1024 px (shrunk first) and on a small odd-sized one (resized inside the graph)', async () => {
  const big = await sharp(DEMO[1]).resize({ width: 1500 }).jpeg({ quality: 90 }).toBuffer();
  await assertSameAnalysis(big, '1500-px photo');
  const rgb = await decodeImage(DEMO[0]);
  const { data, info } = await sharp(Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength), { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize(301, 217, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  await assertSameAnalysis({ width: info.width, height: info.height, data: new Uint8Array(data) }, '301x217 pixels');
});

test('the 160-float detector rows from onnxruntime equal the cached (tfjs) training rows of 20 Flickr8k images', {
  skip: !flickr ? 'needs ../shared/data/flickr8k' : !cacheReady ? 'needs the detector cache (node dist/scripts/cache-detections.js)' : false,
}, async () => {
  const cache = readDetectionCache('centernet');
  // Spread over the cache, in row order, so the check does not depend on which images come first.
  const step = Math.max(1, Math.floor(cache.images.length / 20));
  const names = cache.images.filter((_, i) => i % step === 0).slice(0, 20);
  assert.ok(names.length >= 10, `only ${names.length} cached rows`);
  for (const name of names) {
    const row = await detectorFeatureRow(ort, join(flickr!, 'images', name), cache.countThreshold);
    const want = cache.row(name)!;
    const d = maxAbsDiff(row.subarray(0, NUM_COCO_CLASSES), want.subarray(0, NUM_COCO_CLASSES));
    assert.ok(d < 1e-4, `${name}: class scores differ by ${d}`);
    assert.deepEqual(Array.from(row.subarray(NUM_COCO_CLASSES)), Array.from(want.subarray(NUM_COCO_CLASSES)), `${name}: counts`);
  }
});
