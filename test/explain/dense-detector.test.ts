/**
 * Dense maps for a model whose image head also takes the COCO detector's 160 class-evidence floats: every location
 * gets the image's own detector row. Known answer: with every location's tower features averaged over the whole map
 * (a pooling window wider than the map), each location embedding is the image's own embedding from the encoder.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDenseExplainer, type DenseExplainer } from '../../src/apps/explain/dense.js';
import { explainerFor } from '../../src/apps/explain/open.js';
import { loadEncoder } from '../../src/encoders/load.js';
import { loadNativeEncoder, type NativeEncoder } from '../../src/encoders/native.js';
import { repoRoot } from '../../src/util/paths.js';
import { CENTERNET_INPUT, MID_FINAL_GAP, writeNativeModel } from '../encoders/native-fixture.js';

const PHOTO = join(repoRoot, 'assets', 'demo', 'dog-bicycle-truck.jpg');
let dir: string;
let dense: DenseExplainer;
let encoder: NativeEncoder;

before(async () => {
  dir = await writeNativeModel([MID_FINAL_GAP, CENTERNET_INPUT], 5);
  dense = await loadDenseExplainer(dir);
  encoder = await loadNativeEncoder(dir);
});

after(async () => {
  await dense?.dispose();
  await encoder?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('dense + detector input: whole-map pooled locations equal the encoder\'s image embedding', async () => {
  const [whole] = await encoder.embedImages([PHOTO]);
  // final map is 7 x 7 at 224 px: a 13 x 13 window covers all of it from every location
  const g = await dense.locationEmbeddings(PHOTO, 224, 13);
  assert.deepEqual([g.rows, g.cols], [7, 7]);
  for (const e of [g.embeddings[0], g.embeddings[24], g.embeddings[48]]) {
    const diff = Math.max(...Array.from(e, (x, j) => Math.abs(x - whole[j])));
    assert.ok(diff < 1e-4, `location embedding differs from the image embedding by ${diff}`);
  }
  // without pooling the locations differ (the map is not constant), with the same detector row everywhere
  const local = await dense.locationEmbeddings(PHOTO, 224);
  assert.ok(Math.max(...Array.from(local.embeddings[0], (x, j) => Math.abs(x - local.embeddings[48][j]))) > 1e-3);
  const { map } = await dense.explain(PHOTO, whole, { scales: [224, 320] });
  assert.deepEqual([map.rows, map.cols], [10, 10]);
  assert.ok(map.values.every(Number.isFinite));
});

const COCO = join(repoRoot, 'models', 'coco');
test('the shipped coco model (detector input): explainerFor finds its folder without being told, dense maps come out', { skip: existsSync(join(COCO, 'model.safetensors')) ? false : 'needs models/coco' }, async () => {
  const enc = await loadEncoder(COCO);
  const d = await explainerFor(enc);
  assert.ok(d, 'a dense explainer for the coco model');
  try {
    const [t] = await enc.embedTexts(['a dog']);
    const { map } = await d.explain(PHOTO, t, { scales: [224], flip: false });
    assert.deepEqual([map.rows, map.cols], [14, 14]);
    assert.ok(map.values.every(Number.isFinite) && Math.max(...map.values) > Math.min(...map.values));
  } finally {
    await d.dispose();
    await enc.dispose();
  }
});
