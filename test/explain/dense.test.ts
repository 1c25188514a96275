import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { explainerFor, peak } from '../../src/apps/explain/index.js';
import { loadEncoder } from '../../src/encoders/load.js';
import { defaultModelDir, repoRoot } from '../../src/util/paths.js';

const HAVE_MODEL = existsSync(join(defaultModelDir, 'model.safetensors'));

test('dense: a photo pasted on grey is where the map peaks when the query is that photo\'s own embedding', { skip: HAVE_MODEL ? false : 'needs models/default' }, async () => {
  const encoder = await loadEncoder();
  const dense = await explainerFor(encoder);
  assert.ok(dense, 'the default model has a dense explainer');
  try {
    assert.deepEqual([dense.rows, dense.cols], [36, 36], 'the default scales reach 576 px: b13 gives 36 x 36');
    const photo = await sharp(join(repoRoot, 'assets', 'demo', 'dog-pekingese.jpg')).resize(112, 112, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    const [query] = await encoder.embedImages([{ width: 112, height: 112, data: new Uint8Array(photo) }]);
    for (const [x, y] of [[0, 0], [112, 112], [112, 0]]) {
      const data = new Uint8Array(224 * 224 * 3).fill(128);
      for (let r = 0; r < 112; r++) data.set(photo.subarray(r * 112 * 3, (r + 1) * 112 * 3), ((y + r) * 224 + x) * 3);
      const { map, raw } = await dense.explain({ width: 224, height: 224, data }, query);
      const p = peak(map, 224, 224);
      assert.ok(p.x >= x && p.x < x + 112 && p.y >= y && p.y < y + 112, `peak ${JSON.stringify(p)} outside the photo at ${x},${y}`);
      assert.equal(raw.values.length, dense.rows * dense.cols);
    }
  } finally {
    await dense.dispose();
    await encoder.dispose();
  }
});

test('no dense explainer for weights other than the folder\'s', async () => {
  const fake = { id: 'vlm:vlm-default@000000000000', dim: 256, embedImages: async () => [], embedTexts: async () => [], dispose() {} };
  assert.equal(await explainerFor(fake), undefined);
  assert.equal(await explainerFor({ ...fake, id: 'onnx:clip' }), undefined);
});
