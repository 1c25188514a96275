/**
 * Cache COCO detector features for every Flickr8k image (see src/model/detector-cache.ts for the layout).
 * Resumable: rerun the same command to continue after the last stored row.
 *   node dist/scripts/cache-detections.js [--kind centernet] [--limit N] [--restart] [--backend auto|onnxruntime|tfjs]
 * The detector runs on onnxruntime by default (rows equal tfjs-wasm's to ~1e-6: test/model/detector-onnx.test.ts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDetector, type DetectorKind } from '../src/model/detector.js';
import { detectorFeatureRow } from '../src/model/detector-features.js';
import { DETECTION_FEATURE_DIM, detectionCacheDir, openDetectionCacheWriter } from '../src/model/detector-cache.js';
import { backendFromEnv, type NativeBackend } from '../src/model/runtime-choice.js';
import { UsageError, VlmError } from '../src/util/errors.js';
import { log } from '../src/util/log.js';
import { datasetDir } from '../src/util/paths.js';
import { progress } from '../src/util/progress.js';

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'centernet' },
    limit: { type: 'string' },
    restart: { type: 'boolean', default: false },
    flush: { type: 'string', default: '25' },
    backend: { type: 'string' },
  },
});

const dir = datasetDir('flickr8k');
if (!dir) throw new VlmError('Flickr8k not found: set VLM_DATA or put the data in ../shared/data');
// All 8,091 images (not only the 8,000 in the splits), sorted by name so the row order is stable.
let images = readdirSync(join(dir, 'images')).filter((f) => f.endsWith('.jpg')).sort();
if (values.limit) images = images.slice(0, Number(values.limit));
const kind = values.kind as DetectorKind;
const backend = (values.backend ?? backendFromEnv()) as NativeBackend;
if (!['auto', 'onnxruntime', 'tfjs'].includes(backend)) throw new UsageError(`--backend ${backend} is not one of auto, onnxruntime, tfjs`);
const detector = await loadDetector(kind, { backend }); // first, so a bad --kind fails before any file is touched
const writer = openDetectionCacheWriter(kind, images, { restart: values.restart });
const flushEvery = Math.max(1, Number(values.flush));
log(`cache-detections: ${kind} on ${detector.runtime}, ${images.length} images, ${writer.done} already cached -> ${detectionCacheDir(kind)}`);
const bar = progress(`detect ${kind}`, images.length - writer.done);
const start = Date.now();
let pending: Float32Array[] = [];
const flush = () => {
  if (pending.length === 0) return;
  const rows = new Float32Array(pending.length * DETECTION_FEATURE_DIM);
  pending.forEach((r, i) => rows.set(r, i * DETECTION_FEATURE_DIM));
  writer.append(rows);
  pending = [];
};
for (let i = writer.done; i < images.length; i++) {
  // Low minScore/high cap so the counts see every detection at or above the count threshold.
  pending.push(await detectorFeatureRow(detector, join(dir, 'images', images[i])));
  if (pending.length >= flushEvery) flush();
  bar.tick();
  const n = i + 1 - writer.done;
  if (n % 250 === 0) log(`  ${i + 1}/${images.length}  ${(n / ((Date.now() - start) / 1000)).toFixed(2)} img/s`);
}
flush();
bar.stop();
writer.close();
detector.dispose();
const secs = (Date.now() - start) / 1000;
const n = images.length - writer.done;
log(`cache-detections: done, ${n} images in ${secs.toFixed(0)} s (${(n / Math.max(secs, 1e-9)).toFixed(2)} img/s)`);
