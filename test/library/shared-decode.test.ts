/**
 * The indexer's one-decode path (Encoder.imagePreprocess, our native model): stored vectors must be
 * exactly what the encoder computes from the files, and the thumbnail and pHash made from the shared
 * pixels must match what they are made from the file directly. The fixture encoder of suite.ts has a
 * centre-crop spec, so only a native model takes this path; a native model with a detector input (which wants
 * the full image) does not offer it, so the test uses a tower-only native model of its own.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageFacts } from '../../src/apps/library/image-facts.js';
import { indexLibrary } from '../../src/apps/library/indexer.js';
import { openExistingLibrary, openLibraryForIndexing } from '../../src/apps/library/library-db.js';
import { hammingWords, hashWords, perceptualHash, PHASH_VERSION } from '../../src/apps/library/perceptual-hash.js';
import { loadEncoder } from '../../src/encoders/load.js';
import { decodeImage } from '../../src/image/decode.js';
import { MID_FINAL_GAP, writeNativeModel } from '../encoders/native-fixture.js';
import { photoJpeg, tempDir, writeFile } from './fixtures.js';

test('one decode per image: vectors equal the encoder on the files; thumbnail and pHash as from the file', async () => {
  const tmp = tempDir(after, 'vlm-shared-decode-');
  const root = join(tmp, 'photos');
  const paths: string[] = [];
  for (let i = 0; i < 5; i++) paths.push(writeFile(join(root, `p${i}.jpg`), await photoJpeg(500 + i, { w: 400 + 40 * i, h: 300 })));
  // EXIF-rotated, big enough for JPEG shrink-on-load, and a PNG with alpha
  paths.push(writeFile(join(root, 'rotated.jpg'), await sharp(await photoJpeg(510, { w: 640, h: 320 })).withMetadata({ orientation: 6 }).jpeg().toBuffer()));
  paths.push(writeFile(join(root, 'big.jpg'), await photoJpeg(511, { w: 2400, h: 1600 })));
  paths.push(writeFile(join(root, 'alpha.png'), await sharp(await photoJpeg(512)).ensureAlpha(0.4).png().toBuffer()));
  paths.sort();

  const modelDir = await writeNativeModel([MID_FINAL_GAP]);
  after(() => rmSync(modelDir, { recursive: true, force: true }));
  const encoder = await loadEncoder(modelDir);
  try {
    assert.equal(encoder.imagePreprocess?.resize, 'squash', 'a one-tower native model offers its squash resize');
    const db = join(tmp, 'db');
    const store = await openLibraryForIndexing(root, db, encoder.dim);
    // one batch of all images both ways: onnxruntime gives the same floats for the same batch
    const report = await indexLibrary({ root, store, encoder, batchSize: paths.length, quiet: true }).finally(() => store.close());
    assert.equal(report.embedded, paths.length);
    const expected = await encoder.embedImages(paths);

    const lib = await openExistingLibrary(db);
    try {
      for (const [i, path] of paths.entries()) {
        const [row] = await lib.search(expected[i], 1);
        assert.equal(row.metadata.path, path, `${path}: its own vector finds it`);
        const [item] = await lib.get([row.id]);
        // equal up to float rounding (a different pixel path would move them by ~1e-3)
        const off = Math.max(...[...item.vector].map((v, k) => Math.abs(v - expected[i][k])));
        assert.ok(off < 1e-6, `${path}: stored vector is ${off} from encoder.embedImages(path)`);

        const md = item.metadata;
        assert.equal(md.phashVersion, PHASH_VERSION);
        const fromFile = hashWords(await perceptualHash(readFileSync(path)));
        const d = hammingWords(hashWords(String(md.phash)), fromFile);
        // well inside vlm dupes' 8 bits (the smooth synthetic photos have many near-median coefficients; real photos move 0-2)
        assert.ok(d <= 5, `${path}: pHash from the shared pixels is ${d} bits from the file's`);

        const thumb = await decodeImage(Buffer.from(String(md.thumbnail).split(',')[1], 'base64'));
        assert.equal(Math.max(thumb.width, thumb.height), 128);
        assert.ok(Math.abs(thumb.width / thumb.height - (md.width as number) / (md.height as number)) < 0.02, `${path}: thumbnail keeps the aspect`);
        // the thumbnail looks like the file shrunk directly (not the squashed model input)
        const direct = await sharp(path).autoOrient().flatten({ background: '#fff' }).resize(thumb.width, thumb.height, { fit: 'fill' }).raw().toBuffer();
        let diff = 0;
        for (let k = 0; k < direct.length; k++) diff += Math.abs(direct[k] - thumb.data[k]);
        assert.ok(diff / direct.length < 6, `${path}: thumbnail differs from a direct shrink by ${(diff / direct.length).toFixed(1)} levels on average`);
      }
    } finally {
      await lib.close();
    }

    // without the spec (e.g. a centre-crop encoder) the facts come from a thumbnail-size decode and the bytes go to the encoder
    const data = readFileSync(paths[0]);
    const shared = await imageFacts(paths[0], data, encoder.imagePreprocess);
    const plain = await imageFacts(paths[0], data);
    assert.equal(plain.input, data);
    assert.ok('width' in (shared.input as object), 'model-size pixels for the encoder');
    assert.deepEqual(plain.facts.meta, shared.facts.meta);
    assert.ok(hammingWords(hashWords(plain.facts.phash!), hashWords(shared.facts.phash!)) <= 5);
  } finally {
    await encoder.dispose();
  }
});
