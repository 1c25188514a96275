import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadCaptioner } from '../../src/apps/caption/captioner.js';
import { rerankBest } from '../../src/apps/caption/rerank.js';
import { repoRoot, resolveModelDir } from '../../src/util/paths.js';

/** models/coco's caption.json turns re-ranking and beam consensus on by default (chosen on dev); explicit options still win. */
test('caption decoding defaults: the model decides re-ranking unless the caller does', async () => {
  const photos = ['horses.jpg', 'kites-beach.jpg'].map((f) => join(repoRoot, 'assets', 'demo', f));
  const cap = await loadCaptioner(resolveModelDir('coco'));
  try {
    const texts = async (rerank?: boolean, consensus?: number) => (await cap.captionImages(photos, { lang: 'en', rerank, consensus })).map((c) => c.text);
    const byDefault = await texts();
    assert.deepEqual(byDefault, await texts(true), 'the default re-ranks');
    const consensus = cap.model.config.decode?.consensus ?? 0;
    assert.ok(consensus > 0, 'models/coco picks with beam consensus');
    // the decoder's input rows: the tower map plus the detector row (models/coco's decoder reads both)
    const beams = cap.beams(await cap.inputs(photos), { lang: 'en' });
    // without re-ranking and consensus each caption is the decoder's own best beam; without re-ranking only, the consensus pick
    assert.deepEqual(await texts(false, 0), beams.map((b) => b[0].text));
    assert.deepEqual(await texts(false), beams.map((b) => b[rerankBest(b, b.map(() => 0), 1, 0, consensus)].text));
  } finally {
    await cap.dispose();
  }
});
