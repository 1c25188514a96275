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
    assert.deepEqual(await texts(false), beams.map((b) => b[rerankBest(b, b.map(() => 0), consensus)].text));
  } finally {
    await cap.dispose();
  }
});

/** models/coco ships a caption memory of its own train images: re-ranking weighs consensus with the nearest ones' captions. */
test('caption memory of models/coco: neighbours of a photo describe the same scene; memory: false leaves it out', async () => {
  const [dog, kites] = ['dog-pekingese.jpg', 'kites-beach.jpg'].map((f) => join(repoRoot, 'assets', 'demo', f));
  const cap = await loadCaptioner(resolveModelDir('coco'));
  try {
    const mem = await cap.memoryFor('en');
    assert.ok(mem, 'models/coco re-ranks English with its caption memory');
    assert.equal(mem.memory.size, 6000, 'every Flickr8k train image, no dev or test image');
    const { loadEncoder } = await import('../../src/encoders/load.js');
    const enc = await loadEncoder(resolveModelDir('coco'));
    try {
      const [d, k] = await enc.embedImages([dog, kites]);
      const near = (e: Float32Array, re: RegExp) => mem.memory.neighbours(e, mem.k).filter((i) => re.test(mem.memory.data.captions.en![i].join(' ').toLowerCase())).length;
      // a quarter of the train images have a dog in their captions; the dog photo's neighbours nearly all do
      assert.ok(near(d, /dog|puppy/) >= 0.8 * mem.k, `${near(d, /dog|puppy/)} of the ${mem.k} nearest train images of the dog photo show dogs`);
      assert.ok(near(k, /beach|sand|ocean/) >= 0.5 * mem.k && near(k, /dog|puppy/) <= 0.2 * mem.k, 'the beach photo\'s neighbours are beaches');
      const sentences = ['a small dog sits on the grass', 'people fly kites on the beach'];
      const [dd, dk] = mem.memory.consensus(sentences, d, 'en', mem.k);
      const [kd, kk] = mem.memory.consensus(sentences, k, 'en', mem.k);
      assert.ok(dd > 3 * dk && kk > 3 * kd, `consensus: dog photo ${dd} / ${dk}, beach photo ${kd} / ${kk}`);
    } finally {
      await enc.dispose();
    }
    const beams = cap.beams(await cap.inputs([dog]), { lang: 'en' });
    const [withMemory] = await cap.rerank([dog], beams, 'en');
    const [without] = await cap.rerank([dog], beams, 'en', undefined, undefined, false);
    assert.equal((await cap.captionImages([dog], { lang: 'en' }))[0].text, withMemory.text, 'captions re-rank with the memory by default');
    assert.equal((await cap.captionImages([dog], { lang: 'en', memory: false }))[0].text, without.text);
  } finally {
    await cap.dispose();
  }
});
