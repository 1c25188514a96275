/**
 * The library tests, run once per store backend (LanceDB, PostgreSQL + pgvector): index a generated
 * photo folder with the tiny fixture encoder, then search, re-index, find duplicates, recommend.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { findDuplicates } from '../../src/apps/library/dupes.js';
import { indexLibrary, type IndexReport } from '../../src/apps/library/indexer.js';
import { openExistingLibrary, openLibraryForIndexing } from '../../src/apps/library/library-db.js';
import { recommend } from '../../src/apps/library/recommend.js';
import { searchLibrary } from '../../src/apps/library/search.js';
import type { Encoder } from '../../src/encoders/encoder.js';
import { loadOnnxEncoder } from '../../src/encoders/onnx/index.js';
import { openStore } from '../../src/store/open-store.js';
import type { VectorStore } from '../../src/store/vector-store.js';
import { writeFixture } from '../../scripts/fixtures/checkpoints.js';
import { pngHeaderOnly } from '../image/fixtures.js';
import { photoJpeg, tempDir, writeFile } from './fixtures.js';

export interface Backend {
  name: string;
  /** a --db spec for a new, empty library (LanceDB folder or postgres:// URL with its own table) */
  freshDb(tmp: string): Promise<string> | string;
}

/** Cosine from which the random-weight fixture's copies count as near duplicates (distinct photos stay below 0.985). */
export const FIXTURE_DUP_THRESHOLD = 0.99;

export function librarySuite(backend: Backend): void {
  describe(`library on ${backend.name}`, () => {
    const tmp = tempDir(after);
    let encoder: Encoder;
    let modelDir: string;
    before(async () => {
      modelDir = writeFixture('clip', join(tmp, 'clip')).dir;
      encoder = await loadOnnxEncoder(modelDir, { threads: 1 });
    });
    after(() => encoder?.dispose());

    /** Indexes root into db with small batches (several commits even for a few images). */
    async function index(root: string, db: string, extra: Partial<Parameters<typeof indexLibrary>[0]> = {}): Promise<IndexReport> {
      const store = await openLibraryForIndexing(root, db, encoder.dim);
      try {
        return await indexLibrary({ root, store, encoder, model: modelDir, batchSize: 4, commitEvery: 8, quiet: true, ...extra });
      } finally {
        await store.close();
      }
    }

    async function withLibrary<T>(db: string, fn: (store: VectorStore) => Promise<T>): Promise<T> {
      const store = await openExistingLibrary(db);
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    }

    /** Rows committed so far, seen from a fresh connection (as another process would). */
    async function countRows(db: string): Promise<number> {
      const store = await openStore(db, { defaultPath: db });
      try {
        return await store.count();
      } finally {
        await store.close();
      }
    }

    async function allRows(store: VectorStore) {
      const rows = [];
      for await (const b of store.scan({ withVectors: false })) rows.push(...b);
      return rows;
    }

    test('indexes a folder: one row per content with all its paths, EXIF, size and a thumbnail', async () => {
      const root = join(tmp, 'basic');
      for (let i = 0; i < 6; i++) writeFile(join(root, 'trip', `img${i}.jpg`), await photoJpeg(i));
      writeFile(join(root, 'copies', 'img2-copy.jpg'), await photoJpeg(2));
      const exif = await sharp(await photoJpeg(40, { w: 200, h: 100 }))
        .withExif({
          IFD0: { Make: 'Canon', Model: 'Canon EOS 5D' },
          IFD2: { DateTimeOriginal: '2019:07:04 18:30:00' },
          IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2994/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4000/100' },
        })
        .withMetadata({ orientation: 6 })
        .jpeg()
        .toBuffer();
      writeFile(join(root, 'trip', 'exif.jpg'), exif);
      writeFile(join(root, 'trip', 'drawing.png'), await sharp(await photoJpeg(41)).png().toBuffer());
      const db = await backend.freshDb(tmp);

      const r = await index(root, db);
      assert.deepEqual(r.skipped, []);
      assert.equal(r.indexed, 9);
      assert.equal(r.embedded, 8);
      assert.equal(r.images, 8);
      assert.equal(r.files, 9);
      assert.equal(r.unchanged, 0);
      assert.equal(r.encoder, encoder.id);

      await withLibrary(db, async (store) => {
        assert.equal(await store.count(), 8);
        const rows = await allRows(store);
        const copy = rows.find((x) => (x.metadata.paths as string[]).length > 1);
        assert.ok(copy, 'the copied image is one row');
        assert.deepEqual(copy.metadata.paths, [join(root, 'copies', 'img2-copy.jpg'), join(root, 'trip', 'img2.jpg')]);
        assert.match(copy.id, /^[0-9a-f]{64}$/);

        const e = rows.find((x) => x.metadata.path === join(root, 'trip', 'exif.jpg'))!.metadata;
        assert.equal(e.camera, 'Canon EOS 5D');
        assert.equal(e.takenAt, Date.UTC(2019, 6, 4, 18, 30, 0));
        assert.equal(e.dateSource, 'exif');
        const gps = e.gps as { lat: number; lon: number };
        assert.ok(Math.abs(gps.lat - 48.858317) < 1e-4 && Math.abs(gps.lon - 2.294444) < 1e-4, JSON.stringify(gps));
        // orientation 6 (rotated 90 degrees): shown 100 wide, 200 high
        assert.deepEqual([e.width, e.height], [100, 200]);
        assert.equal(e.encoder, encoder.id);

        for (const row of rows) {
          const md = row.metadata;
          assert.equal(typeof md.size, 'number');
          assert.ok((md.size as number) > 0);
          const thumb = String(md.thumbnail);
          assert.match(thumb, /^data:image\/webp;base64,/);
          const t = await sharp(Buffer.from(thumb.split(',')[1], 'base64')).metadata();
          assert.equal(t.format, 'webp');
          assert.ok(Math.max(t.width!, t.height!) <= 128);
          if (md.path === join(root, 'trip', 'exif.jpg')) assert.ok(t.height! > t.width!, 'thumbnail is upright');
        }
      });
    });

    test('search: an edited copy finds its original; text, Chinese and combined queries; filters', async () => {
      const root = join(tmp, 'search');
      for (let i = 0; i < 10; i++) writeFile(join(root, i < 5 ? 'a' : 'b', `p${i}.jpg`), await photoJpeg(100 + i, { w: 240, h: 180 }));
      writeFile(join(root, 'b', 'p3-copy.jpg'), await photoJpeg(103, { w: 240, h: 180 }));
      const dated = await sharp(await photoJpeg(120)).withExif({ IFD2: { DateTimeOriginal: '2019:07:04 12:00:00' } }).jpeg().toBuffer();
      writeFile(join(root, 'a', 'dated.jpg'), dated);
      const db = await backend.freshDb(tmp);
      await index(root, db);
      // outside the library: a smaller, recompressed version of p7
      const query = writeFile(join(tmp, 'query-p7.jpg'), await sharp(await photoJpeg(107, { w: 240, h: 180 })).resize(120).jpeg({ quality: 50 }).toBuffer());

      await withLibrary(db, async (store) => {
        const byImage = await searchLibrary(store, encoder, { image: query }, 3);
        assert.equal(byImage.hits[0].path, join(root, 'b', 'p7.jpg'));
        assert.equal(byImage.image?.inLibrary, false);
        assert.ok(byImage.hits[0].score > 0.99);

        // similar: an image in the library leaves itself and its identical copy out
        const similar = await searchLibrary(store, encoder, { image: join(root, 'a', 'p3.jpg') }, 20);
        assert.equal(similar.image?.inLibrary, true);
        assert.equal(similar.hits.length, 10, '12 files, 11 images, minus p3 (and its copy)');
        assert.ok(!similar.hits.some((h) => (h.metadata.paths as string[]).some((p) => p.includes('p3'))));

        for (const text of ['a dog running on the grass', '一只狗在草地上奔跑']) {
          const r = await searchLibrary(store, encoder, { text }, 5);
          assert.equal(r.hits.length, 5);
          for (let i = 1; i < r.hits.length; i++) assert.ok(r.hits[i - 1].score >= r.hits[i].score, 'sorted by score');
        }

        // image + a little text: still that image's original first
        const both = await searchLibrary(store, encoder, { image: query, text: 'at night', textWeight: 0.05 }, 3);
        assert.equal(both.hits[0].path, join(root, 'b', 'p7.jpg'));
        assert.notDeepEqual(Array.from(both.vector), Array.from(byImage.vector));

        // path prefix: only files under it, and an image whose copy is under it shows that copy
        const inB = await searchLibrary(store, encoder, { image: query }, 20, { pathPrefix: join(root, 'b') + '/' });
        assert.equal(inB.hits.length, 6);
        assert.ok(inB.hits.every((h) => h.path.startsWith(join(root, 'b') + '/')));
        assert.ok(inB.hits.some((h) => h.path === join(root, 'b', 'p3-copy.jpg')));

        // date range: only the photo taken on 2019-07-04
        const july = await searchLibrary(store, encoder, { image: query }, 20, { from: Date.UTC(2019, 6, 1), to: Date.UTC(2019, 6, 31) });
        assert.deepEqual(july.hits.map((h) => h.path), [join(root, 'a', 'dated.jpg')]);

        const strict = await searchLibrary(store, encoder, { image: query }, 20, { minScore: 0.99 });
        assert.ok(strict.hits.length >= 1 && strict.hits.length < 12);
        assert.ok(strict.hits.every((h) => h.score >= 0.99));
      });
    });

    test('re-index: unchanged files are not read again; added, changed, moved and deleted files are counted', async () => {
      const root = join(tmp, 'incremental');
      for (let i = 0; i < 6; i++) writeFile(join(root, `f${i}.jpg`), await photoJpeg(200 + i));
      const db = await backend.freshDb(tmp);
      const first = await index(root, db);
      assert.equal(first.indexed, 6);

      const again = await index(root, db);
      assert.deepEqual([again.indexed, again.unchanged, again.removed, again.embedded], [0, 6, 0, 0]);

      writeFile(join(root, 'new', 'g1.jpg'), await photoJpeg(210));
      writeFile(join(root, 'new', 'g2.jpg'), await photoJpeg(211));
      rmSync(join(root, 'f0.jpg'));
      writeFile(join(root, 'f1.jpg'), await photoJpeg(212)); // same name, other picture
      utimesSync(join(root, 'f1.jpg'), new Date(), new Date(Date.now() + 5000));
      writeFile(join(root, 'moved', 'f2.jpg'), await photoJpeg(202));
      rmSync(join(root, 'f2.jpg'));
      const third = await index(root, db);
      // indexed: g1, g2, changed f1, f2 at its new place; removed: f0 and f2's old place; embedded: g1, g2, the new f1
      assert.deepEqual(
        { indexed: third.indexed, unchanged: third.unchanged, removed: third.removed, embedded: third.embedded },
        { indexed: 4, unchanged: 3, removed: 2, embedded: 3 },
      );
      assert.equal(third.images, 7);

      await withLibrary(db, async (store) => {
        const rows = await allRows(store);
        assert.equal(rows.length, 7, 'the old f1 and f0 are gone');
        const paths = rows.flatMap((r) => r.metadata.paths as string[]).sort();
        const expected = ['f1.jpg', 'f3.jpg', 'f4.jpg', 'f5.jpg', 'moved/f2.jpg', 'new/g1.jpg', 'new/g2.jpg'].map((p) => join(root, p)).sort();
        assert.deepEqual(paths, expected);
      });
      const fourth = await index(root, db);
      assert.deepEqual([fourth.indexed, fourth.unchanged, fourth.removed], [0, 7, 0]);
    });

    test('bad files are skipped with a reason each, never fatal, and every good image is indexed', async () => {
      const root = join(tmp, 'bad');
      for (let i = 0; i < 4; i++) writeFile(join(root, `good${i}.jpg`), await photoJpeg(300 + i));
      const jpeg = await photoJpeg(310, { w: 320, h: 240 });
      const corrupt = Buffer.from(jpeg);
      for (let i = 600; i < corrupt.length - 2; i++) corrupt[i] = (i * 7919) & 0xff; // scrambled entropy data
      writeFile(join(root, 'corrupt.jpg'), corrupt);
      writeFile(join(root, 'truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
      writeFile(join(root, 'empty.jpg'), Buffer.alloc(0));
      writeFile(join(root, 'text.jpg'), 'this is not a picture\n');
      writeFile(join(root, 'huge.png'), pngHeaderOnly(10_000, 10_000));
      writeFile(join(root, 'notes.txt'), 'a text file is ignored, not an error\n');
      symlinkSync(root, join(root, 'loop'));
      symlinkSync(join(root, 'self'), join(root, 'self'));
      const db = await backend.freshDb(tmp);

      const r = await index(root, db);
      const why = Object.fromEntries(r.skipped.map((s) => [s.path.slice(root.length + 1), s.reason]));
      assert.deepEqual(Object.keys(why).sort(), ['corrupt.jpg', 'empty.jpg', 'huge.png', 'loop', 'self', 'text.jpg', 'truncated.jpg']);
      assert.match(why['corrupt.jpg'], /corrupt|truncated/);
      assert.match(why['truncated.jpg'], /truncated/);
      assert.match(why['empty.jpg'], /empty/);
      assert.match(why['text.jpg'], /not an image/);
      assert.match(why['huge.png'], /100\.0 MP.*limit/);
      assert.match(why['loop'], /loop/);
      assert.match(why['self'], /loop/);
      assert.equal(r.ignored, 1);
      assert.equal(r.indexed, 4);
      assert.equal(r.images, 4);
      await withLibrary(db, async (store) => assert.equal(await store.count(), 4));
      // still skipped (and still not fatal) next time; the good ones are unchanged
      const again = await index(root, db);
      assert.equal(again.skipped.length, 7);
      assert.equal(again.unchanged, 4);
    });

    test('near duplicates: resized, recompressed and cropped copies group with their original, which is kept', async () => {
      const root = join(tmp, 'dupes');
      const originals: Buffer[] = [];
      for (let i = 0; i < 8; i++) {
        originals.push(await photoJpeg(400 + i, { w: 320, h: 240 }));
        writeFile(join(root, `orig${i}.jpg`), originals[i]);
      }
      writeFile(join(root, 'v', 'orig0-small.jpg'), await sharp(originals[0]).resize(160).jpeg({ quality: 85 }).toBuffer());
      writeFile(join(root, 'v', 'orig0-q30.jpg'), await sharp(originals[0]).jpeg({ quality: 30 }).toBuffer());
      writeFile(join(root, 'v', 'orig1-crop.jpg'), await sharp(originals[1]).extract({ left: 8, top: 6, width: 304, height: 228 }).jpeg().toBuffer());
      writeFile(join(root, 'v', 'orig2-copy.jpg'), originals[2]);
      const db = await backend.freshDb(tmp);
      await index(root, db);

      await withLibrary(db, async (store) => {
        const rel = (g: { kind: string; keeper: string; files: { path: string }[] }) => ({
          kind: g.kind,
          keeper: g.keeper.slice(root.length + 1),
          files: g.files.map((f) => f.path.slice(root.length + 1)).sort(),
        });
        const expected = [
          { kind: 'near', keeper: 'orig0.jpg', files: ['orig0.jpg', 'v/orig0-q30.jpg', 'v/orig0-small.jpg'] },
          { kind: 'near', keeper: 'orig1.jpg', files: ['orig1.jpg', 'v/orig1-crop.jpg'] },
          { kind: 'exact', keeper: 'orig2.jpg', files: ['orig2.jpg', 'v/orig2-copy.jpg'] },
        ];
        // embeddings alone, from all pairs in memory and from the store's k-NN: the same groups
        for (const allPairsUpTo of [3000, 0]) {
          const r = await findDuplicates(store, { threshold: FIXTURE_DUP_THRESHOLD, hashDistance: -1, allPairsUpTo, quiet: true });
          assert.equal(r.method, allPairsUpTo ? 'all-pairs' : 'knn');
          assert.deepEqual(r.groups.map(rel), expected);
          const g0 = r.groups[0];
          assert.match(g0.reason, /resolution|largest file/);
          assert.equal(g0.files[0].path, g0.keeper);
          assert.ok(g0.files.every((f) => f.similarity >= FIXTURE_DUP_THRESHOLD));
          assert.equal(r.exact, 1);
          assert.equal(r.near, 2);
        }
        // perceptual hashes alone (no two different vectors reach cosine 1): resized and recompressed copies
        const byHash = await findDuplicates(store, { threshold: 1, quiet: true });
        assert.deepEqual(byHash.groups.map(rel).slice(0, 1), expected.slice(0, 1));
        assert.ok(byHash.groups[0].files.every((f) => f.hashDistance !== undefined && f.hashDistance <= 8));
        // both signals (the defaults, with the fixture's threshold)
        const both = await findDuplicates(store, { threshold: FIXTURE_DUP_THRESHOLD, quiet: true });
        assert.deepEqual(both.groups.map(rel), expected);
      });
    });

    test('recommend: likes minus dislikes, never the examples, their copies or near copies', async () => {
      const root = join(tmp, 'recommend');
      for (let i = 0; i < 12; i++) writeFile(join(root, `r${i}.jpg`), await photoJpeg(500 + i, { w: 240, h: 180 }));
      writeFile(join(root, 'copies', 'r0-copy.jpg'), await photoJpeg(500, { w: 240, h: 180 }));
      writeFile(join(root, 'copies', 'r1-small.jpg'), await sharp(await photoJpeg(501, { w: 240, h: 180 })).resize(120).toBuffer());
      const outside = writeFile(join(tmp, 'outside-like.jpg'), await photoJpeg(777));
      const db = await backend.freshDb(tmp);
      await index(root, db);

      await withLibrary(db, async (store) => {
        const like = [join(root, 'r0.jpg'), join(root, 'r1.jpg'), outside];
        const dislike = [join(root, 'r2.jpg')];
        const r = await recommend(store, encoder, { like, dislike, k: 20, nearDuplicate: FIXTURE_DUP_THRESHOLD });
        const got = r.hits.flatMap((h) => h.metadata.paths as string[]);
        for (const bad of ['r0.jpg', 'r1.jpg', 'r2.jpg', 'copies/r0-copy.jpg', 'copies/r1-small.jpg']) {
          assert.ok(!got.includes(join(root, bad)), `${bad} must not be recommended`);
        }
        assert.equal(r.hits.length, 9, 'the 9 other images');
        assert.deepEqual(r.likes.map((q) => q.inLibrary), [true, true, false]);
        // no diversity = plain ranking by the Rocchio score
        const plain = await recommend(store, encoder, { like, dislike, k: 5, diversity: 0 });
        for (let i = 1; i < plain.hits.length; i++) assert.ok(plain.hits[i - 1].score >= plain.hits[i].score);
        // full diversity picks differently from plain ranking after the first
        const varied = await recommend(store, encoder, { like, dislike, k: 5, diversity: 0.9 });
        assert.equal(varied.hits[0].id, plain.hits[0].id);
        assert.notDeepEqual(varied.hits.map((h) => h.id), plain.hits.map((h) => h.id));
      });
    });

    test('kill -9 in the middle of indexing, then index again: every image exactly once', async () => {
      const root = join(tmp, 'kill');
      const N = 200;
      for (let i = 0; i < N; i++) writeFile(join(root, `d${i % 7}`, `k${i}.jpg`), await photoJpeg(1000 + i, { w: 96, h: 72 }));
      const db = await backend.freshDb(tmp);
      const child = spawn(process.execPath, [fileURLToPath(new URL('./index-child.js', import.meta.url)), root, db, modelDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let atKill = 0;
      for (let tries = 0; ; tries++) {
        await sleep(25);
        if (child.exitCode !== null) assert.fail(`indexing ended (code ${child.exitCode}) before it could be killed: ${stderr}`);
        atKill = await countRows(db);
        if (atKill >= 24) break;
        assert.ok(tries < 4000, 'the child never committed anything');
      }
      child.kill('SIGKILL');
      assert.equal(await exited, null, 'killed by the signal');
      const afterKill = await countRows(db);
      assert.ok(afterKill >= atKill && afterKill < N, `killed mid-run: ${afterKill} of ${N} rows committed`);

      const r = await index(root, db);
      assert.deepEqual(r.skipped, []);
      assert.equal(r.unchanged, afterKill, 'finished work was kept');
      assert.equal(r.embedded, N - afterKill, 'and not redone');
      await withLibrary(db, async (store) => {
        const rows = await allRows(store);
        assert.equal(rows.length, N);
        const paths = rows.flatMap((x) => x.metadata.paths as string[]);
        assert.equal(paths.length, N);
        assert.equal(new Set(paths).size, N, 'each file in exactly one row');
      });
    });

    test('refuses to mix models in one library', async () => {
      const root = join(tmp, 'models');
      writeFile(join(root, 'a.jpg'), await photoJpeg(600));
      const db = await backend.freshDb(tmp);
      await index(root, db);
      writeFile(join(root, 'b.jpg'), await photoJpeg(601));
      const other = await loadOnnxEncoder(writeFixture('siglip', join(tmp, 'siglip')).dir, { threads: 1 });
      try {
        assert.equal(other.dim, encoder.dim, 'same size vectors: only the model id tells them apart');
        const store = await openLibraryForIndexing(root, db, other.dim);
        try {
          await assert.rejects(indexLibrary({ root, store, encoder: other, quiet: true }), /indexed with model onnx:clip.*pass the same --model/);
          await assert.rejects(searchLibrary(store, other, { image: join(root, 'a.jpg') }, 3), /indexed with model/);
        } finally {
          await store.close();
        }
      } finally {
        await other.dispose();
      }
    });
  });
}
