import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dot } from '../../src/encoders/encoder.js';
import { loadEncoder } from '../../src/encoders/load.js';
import { repoRoot, resolveModelDir } from '../../src/util/paths.js';

/** The shipped accurate model (models/coco, detector evidence as an image input) loads by name and works end to end. */
test('models/coco: loads by name, embeds with the detector, matches photos to their descriptions', async () => {
  const encoder = await loadEncoder(resolveModelDir('coco'));
  try {
    assert.match(encoder.id, /^vlm:vlm-coco@[0-9a-f]{12}$/);
    assert.equal(encoder.imagePreprocess, undefined, 'the detector needs the full image, so no shared resize is offered');
    const photos = ['dog-pekingese.jpg', 'aerial-city.jpg', 'horses.jpg'].map((f) => join(repoRoot, 'assets', 'demo', f));
    const texts = ['a small dog', 'an aerial view of a city', 'two horses in a field'];
    const [imgs, txts] = [await encoder.embedImages(photos), await encoder.embedTexts(texts)];
    for (const [i, v] of imgs.entries()) {
      assert.ok(Math.abs(dot(v, v) - 1) < 1e-4, 'L2-normalised');
      const scores = txts.map((t) => dot(v, t));
      assert.equal(scores.indexOf(Math.max(...scores)), i, `${photos[i]}: best text is "${texts[i]}" (scores ${scores.map((s) => s.toFixed(3))})`);
    }
  } finally {
    await encoder.dispose();
  }
});
