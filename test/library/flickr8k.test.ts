/**
 * Acceptance: index the Flickr8k test images, run every test caption as a search, and check the
 * ground-truth image's R@1/5/10 equal what `vlm eval retrieval` (evalRetrieval) reports for the same
 * model, on both stores. Takes a few minutes with 1,000 images; set VLM_LIBRARY_EVAL_IMAGES=200 for a
 * quicker run, and VLM_LIBRARY_EVAL_MODEL=<dir> to use another model than models/default.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { indexLibrary } from '../../src/apps/library/indexer.js';
import { openLibraryForIndexing } from '../../src/apps/library/library-db.js';
import { searchVector } from '../../src/apps/library/search.js';
import type { Encoder } from '../../src/encoders/encoder.js';
import { loadEncoder } from '../../src/encoders/load.js';
import { embedTextsBatched } from '../../src/eval/embed-batched.js';
import { evalRetrieval, type RetrievalResult } from '../../src/eval/run-retrieval.js';
import { startDevPgServer, type DevPgServer } from '../../src/store/dev-pg-server.js';
import { loadFlickr8k } from '../../src/train/datasets/flickr8k.js';
import { datasetDir, defaultModelDir } from '../../src/util/paths.js';
import { tempDir } from './fixtures.js';

const modelDir = process.env.VLM_LIBRARY_EVAL_MODEL || defaultModelDir;
const nImages = Number(process.env.VLM_LIBRARY_EVAL_IMAGES || 1000);
const skip = !datasetDir('flickr8k')
  ? 'needs ../shared/data/flickr8k'
  : !existsSync(join(modelDir, 'config.json'))
    ? `needs a trained model at ${modelDir} (config.json), or VLM_LIBRARY_EVAL_MODEL=<dir>`
    : false;

describe('library search reproduces Flickr8k text->image retrieval', { skip }, () => {
  const tmp = tempDir(after, 'vlm-library-flickr-');
  let encoder: Encoder;
  let reference: RetrievalResult;
  let server: DevPgServer;
  let captions: { text: string; image: string }[];
  let captionVecs: Float32Array[];
  const root = join(tmp, 'flickr8k-test');

  before(async () => {
    assert.ok(Number.isInteger(nImages) && nImages > 0, 'VLM_LIBRARY_EVAL_IMAGES must be a positive integer');
    encoder = await loadEncoder(modelDir);
    const data = loadFlickr8k('test', 'en');
    // a folder of just the test images: links, so nothing is copied
    mkdirSync(root, { recursive: true });
    const paths = data.imagePaths.slice(0, nImages);
    for (const p of paths) symlinkSync(p, join(root, basename(p)));
    captions = data.captions.filter((c) => c.imageIndex < paths.length).map((c) => ({ text: c.text, image: data.images[c.imageIndex] }));
    // the same batching and language as the eval runner, so the query vectors are the same
    captionVecs = await embedTextsBatched(encoder, captions.map((c) => c.text), { lang: 'en', quiet: true });
    reference = await evalRetrieval(encoder, { dataset: 'flickr8k', split: 'test', lang: 'en', limit: nImages, quiet: true });
    server = await startDevPgServer();
  });
  after(async () => {
    await server?.stop();
    await encoder?.dispose();
  });

  for (const backend of ['LanceDB', 'PostgreSQL + pgvector'] as const) {
    test(`${backend}: R@1/5/10 over ${nImages * 5} captions equal evalRetrieval's`, async () => {
      const db = backend === 'LanceDB' ? join(tmp, 'lance') : `${server.url}?table=flickr8k_test`;
      const store = await openLibraryForIndexing(root, db, encoder.dim);
      try {
        const report = await indexLibrary({ root, store, encoder, model: modelDir, quiet: true });
        assert.deepEqual(report.skipped, []);
        assert.equal(report.images, Math.min(nImages, 1000));
        const hitsAt = { 1: 0, 5: 0, 10: 0 };
        for (let i = 0; i < captions.length; i++) {
          const hits = await searchVector(store, captionVecs[i], 10);
          const rank = hits.findIndex((h) => basename(h.path) === captions[i].image);
          if (rank >= 0 && rank < 1) hitsAt[1]++;
          if (rank >= 0 && rank < 5) hitsAt[5]++;
          if (rank >= 0) hitsAt[10]++;
        }
        const pct = (n: number) => (100 * n) / captions.length;
        const got = { r1: pct(hitsAt[1]), r5: pct(hitsAt[5]), r10: pct(hitsAt[10]) };
        const want = { r1: reference.t2i.r1, r5: reference.t2i.r5, r10: reference.t2i.r10 };
        console.log(`${backend}: library R@1/5/10 = ${got.r1.toFixed(2)}/${got.r5.toFixed(2)}/${got.r10.toFixed(2)}, eval = ${want.r1.toFixed(2)}/${want.r5.toFixed(2)}/${want.r10.toFixed(2)}`);
        for (const k of ['r1', 'r5', 'r10'] as const) assert.ok(Math.abs(got[k] - want[k]) < 1e-9, `${k}: library ${got[k]} vs eval ${want[k]}`);
      } finally {
        await store.close();
      }
    });
  }
});
