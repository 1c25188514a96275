/**
 * The safety hook in the library indexer, end to end on a real store and encoder: a small real
 * SafetyClassifier whose answer is known (red-dominated images are "Porn") decides; flag / hide / refuse
 * behave as documented and searches leave hidden images out unless asked. The nsfwjs classifier itself runs
 * on real photos at the end.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSafetyClassifier } from '../../src/apps/safety/index.js';
import { indexLibrary } from '../../src/apps/library/indexer.js';
import { searchVector } from '../../src/apps/library/search.js';
import { openStore } from '../../src/store/open-store.js';
import { repoRoot } from '../../src/util/paths.js';
import { fixtureEncoder, tempDir, writeFile } from '../library/fixtures.js';
import { redIsUnsafe, solid } from './fixtures.js';

const tmp = tempDir(after, 'vlm-safety-');

test('flag records the verdict, hide leaves the image out of searches unless asked, refuse does not index it', async () => {
  const root = join(tmp, 'photos');
  writeFile(join(root, 'red.png'), await solid(230, 20, 20));
  writeFile(join(root, 'green.png'), await solid(20, 200, 40));
  writeFile(join(root, 'blue.png'), await solid(20, 40, 220));
  const encoder = await fixtureEncoder(tmp);
  try {
    for (const policy of ['flag', 'hide', 'refuse'] as const) {
      const db = join(tmp, `db-${policy}`);
      const store = await openStore(db, { dim: encoder.dim, defaultPath: db });
      try {
        const report = await indexLibrary({ root, store, encoder, quiet: true, safety: { classifier: redIsUnsafe, policy } });
        const [red] = await encoder.embedImages([join(root, 'red.png')]);
        const paths = async (includeHidden?: boolean) => (await searchVector(store, red, 3, { includeHidden })).map((h) => h.path.split('/').pop()).sort();
        if (policy === 'refuse') {
          assert.equal(report.embedded, 2);
          assert.deepEqual(report.skipped.map((s) => s.path.split('/').pop()), ['red.png']);
          assert.match(report.skipped[0].reason, /refused by the safety policy \(unsafe score 0\.8\d at level explicit; most likely Porn\)/);
          assert.deepEqual(await paths(), ['blue.png', 'green.png']);
          continue;
        }
        assert.equal(report.embedded, 3);
        const items = (await store.get([...(await searchVector(store, red, 3, { includeHidden: true }))].map((h) => h.id)));
        const red1 = items.find((i) => String(i.metadata.path).endsWith('red.png'))!;
        const verdict = red1.metadata.safety as { flagged: boolean; hidden: boolean; classifier: string };
        assert.equal(verdict.flagged, true);
        assert.equal(verdict.classifier, 'test:red');
        assert.equal(verdict.hidden, policy === 'hide');
        for (const i of items.filter((x) => x !== red1)) assert.equal((i.metadata.safety as { flagged: boolean }).flagged, false);
        assert.deepEqual(await paths(), policy === 'hide' ? ['blue.png', 'green.png'] : ['blue.png', 'green.png', 'red.png']);
        assert.deepEqual(await paths(true), ['blue.png', 'green.png', 'red.png']);
      } finally {
        await store.close();
      }
    }
  } finally {
    await encoder.dispose();
  }
});

test('the nsfwjs classifier: five probabilities summing to 1; everyday demo photos are not flagged', async () => {
  const c = await loadSafetyClassifier();
  try {
    const demo = ['cat.jpg', 'coffee.jpg', 'horses.jpg'].map((f) => join(repoRoot, 'assets', 'demo', f));
    const out = await c.classify(demo);
    assert.equal(out.length, 3);
    for (const s of out) {
      const sum = Object.values(s).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-3, String(sum));
      assert.ok(s.Porn + s.Hentai < 0.5, JSON.stringify(s));
    }
  } finally {
    c.dispose();
  }
});
