import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as lancedb from '@lancedb/lancedb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bruteForceSearch } from '../../src/store/brute-force.js';
import { LanceDbStore, openLanceDbStore } from '../../src/store/lancedb-store.js';
import { openStore } from '../../src/store/open-store.js';
import { makeItems } from './synthetic.js';
import { storeContract } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'vlm-lancedb-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

storeContract({
  name: 'LanceDB',
  async fresh() {
    const dir = join(root, `store-${n++}`);
    return { open: (opts = {}) => openLanceDbStore(dir, opts) };
  },
});

test('openStore opens a LanceDB folder for a path, and the default path when none is given', async () => {
  const dir = join(root, 'via-open-store');
  const a = await openStore(dir, { dim: 4, defaultPath: '/nonexistent' });
  assert.ok(a instanceof LanceDbStore);
  await a.upsert([{ id: 'x', vector: new Float32Array([0, 1, 0, 0]), metadata: {} }]);
  await a.close();
  const b = await openStore(undefined, { defaultPath: dir });
  assert.equal(await b.count(), 1);
  assert.equal(b.dim, 4);
  await b.close();
});

test('a LanceDB store builds its ANN index at the threshold and keeps finding what exact search finds', async () => {
  const dir = join(root, 'indexed');
  const items = makeItems(600, 16, 5);
  const store = await openLanceDbStore(dir, { indexThreshold: 500, indexKind: 'ivf_hnsw_sq' });
  try {
    await store.upsert(items.slice(0, 400));
    assert.equal(await hasVectorIndex(dir), false);
    await store.upsert(items.slice(400));
    assert.equal(await hasVectorIndex(dir), true);
    let found = 0;
    for (const q of items.slice(0, 20)) {
      const want = bruteForceSearch(items, q.vector, 5).map((h) => h.id);
      const got = (await store.search(q.vector, 5)).map((h) => h.id);
      found += got.filter((id) => want.includes(id)).length;
      assert.equal(got[0], q.id, 'an item finds itself first');
    }
    assert.ok(found / 100 >= 0.9, `recall@5 ${found / 100}`);
    const filtered = await store.search(items[0].vector, 5, { pathPrefix: 'lib/b/' });
    assert.ok(filtered.length === 5 && filtered.every((h) => String(h.metadata.path).startsWith('lib/b/')));
  } finally {
    await store.close();
  }
});

async function hasVectorIndex(dir: string): Promise<boolean> {
  const db = await lancedb.connect(dir);
  const t = await db.openTable('vectors');
  const has = (await t.listIndices()).some((ix) => ix.columns.includes('vector'));
  t.close();
  db.close();
  return has;
}
