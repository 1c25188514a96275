import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadCaptioner } from '../../src/apps/caption/captioner.js';
import { openMapExtractor } from '../../src/apps/caption/image-maps.js';
import { repoRoot, resolveModelDir } from '../../src/util/paths.js';

/** models/coco's caption.json turns re-ranking on by default (chosen on dev); an explicit option still wins. */
test('caption decoding defaults: the model decides re-ranking unless the caller does', async () => {
  const photos = ['horses.jpg', 'kites-beach.jpg'].map((f) => join(repoRoot, 'assets', 'demo', f));
  const cap = await loadCaptioner(resolveModelDir('coco'));
  try {
    const texts = async (rerank?: boolean) => (await cap.captionImages(photos, { lang: 'en', rerank })).map((c) => c.text);
    const byDefault = await texts();
    assert.deepEqual(byDefault, await texts(true), 'the default re-ranks');
    // without re-ranking each caption is the decoder's own best beam
    const extractor = await openMapExtractor('mobilenet_v2_mid', 'final_map');
    const beams = cap.beams(await extractor.maps(photos), { lang: 'en' });
    await extractor.dispose();
    assert.deepEqual(await texts(false), beams.map((b) => b[0].text));
  } finally {
    await cap.dispose();
  }
});
