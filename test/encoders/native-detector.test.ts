import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadNativeEncoder, type NativeEncoder } from '../../src/encoders/native.js';
import { preprocessBatch } from '../../src/image/preprocess.js';
import { loadVlmModel, type LoadedVlm } from '../../src/model/checkpoint.js';
import { COCO_LABELS, loadDetector, type Detector } from '../../src/model/detector.js';
import { detectorFeatureRow } from '../../src/model/detector-features.js';
import { openTower } from '../../src/model/tower-runner.js';
import { repoRoot } from '../../src/util/paths.js';
import { CENTERNET_INPUT, MID_FINAL_GAP, writeNativeModel } from './native-fixture.js';

/**
 * A model whose image head also takes the COCO detector's 160 class-evidence floats: the native encoder must feed it
 * exactly what training fed it (detectorFeatureRow on the full image), on both runtimes.
 */

const images = ['dog-pekingese.jpg', 'dog-bicycle-truck.jpg', 'aerial-city.jpg'].map((f) => join(repoRoot, 'assets', 'demo', f));
const TOWER_KEY = 'mobilenet_v2_mid/final_gap';
const DET_KEY = 'detector/centernet';

let dir: string;
let loaded: LoadedVlm;
let detector: Detector;
let onnx: NativeEncoder;
let tfjs: NativeEncoder;

before(async () => {
  dir = await writeNativeModel([MID_FINAL_GAP, CENTERNET_INPUT]);
  loaded = await loadVlmModel(dir);
  detector = await loadDetector('centernet');
  onnx = await loadNativeEncoder(dir, { backend: 'onnxruntime' });
  tfjs = await loadNativeEncoder(dir, { backend: 'tfjs' });
});

after(async () => {
  await onnx.dispose();
  await tfjs.dispose();
  loaded.dispose();
  detector.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((v, i) => v.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i][j])))));
  return m;
}

test('detector model: no shared preprocessing is offered (the detector needs the full image)', () => {
  assert.equal(onnx.imagePreprocess, undefined);
  assert.equal(tfjs.imagePreprocess, undefined);
});

test('detector model: embeddings equal the head on [tower features, detectorFeatureRow], on both runtimes', async () => {
  const tower = await openTower('mobilenet_v2_mid', ['final_gap'], 'onnxruntime');
  const towerFeats = (await tower.run(await preprocessBatch(images, tower.preprocess), images.length)).final_gap.map((r) => Float32Array.from(r));
  await tower.dispose();
  const rows = await Promise.all(images.map((im) => detectorFeatureRow(detector, im)));
  const expected = loaded.embedImageFeatures({ [TOWER_KEY]: towerFeats, [DET_KEY]: rows });
  assert.ok(maxAbsDiff(await onnx.embedImages(images), expected) < 1e-4);
  assert.ok(maxAbsDiff(await tfjs.embedImages(images), expected) < 1e-3);

  // The slot is wired: other detector evidence moves the embedding (a head fed zeros would not notice).
  const other = loaded.embedImageFeatures({ [TOWER_KEY]: towerFeats, [DET_KEY]: rows.map(() => new Float32Array(160)) });
  assert.ok(maxAbsDiff(other, expected) > 1e-3);
  // The detector sees the Pekingese's dog and none in the aerial city view.
  const dog = COCO_LABELS.indexOf('dog');
  assert.ok(rows[0][dog] > 0.2 && rows[2][dog] < 0.1, `dog scores ${rows[0][dog]} / ${rows[2][dog]}`);
});
