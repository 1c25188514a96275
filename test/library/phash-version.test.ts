import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findDuplicates } from '../../src/apps/library/dupes.js';
import { PHASH_VERSION } from '../../src/apps/library/perceptual-hash.js';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from './fixtures.js';

/** Orthogonal unit vectors: no pair is near by embedding, so only the hashes can group them. */
function axis(i: number, dim = 8): Float32Array {
  const v = new Float32Array(dim);
  v[i] = 1;
  return v;
}

function row(i: number, phash: string, phashVersion?: number) {
  const path = `/photos/p${i}.jpg`;
  const metadata: Record<string, unknown> = { path, paths: [path], files: [{ path, size: 1000 + i, mtimeMs: 1 }], width: 100, height: 80, size: 1000 + i, phash };
  if (phashVersion !== undefined) metadata.phashVersion = phashVersion;
  return { id: `id${i}`, vector: axis(i), metadata };
}

test('dupes pairs perceptual hashes only within one version (a library indexed before and after the pHash change)', async () => {
  const tmp = tempDir(after, 'vlm-phash-version-');
  const store = await openStore(join(tmp, 'db'), { defaultPath: join(tmp, 'db'), dim: 8 });
  try {
    const h = '0123456789abcdef';
    const h1bit = '0123456789abcdee'; // 1 bit away
    await store.upsert([
      row(0, h), // version 1 (no field): written before PHASH_VERSION 2
      row(1, h1bit), // version 1: pairs with row 0
      row(2, h, PHASH_VERSION), // the same bits, but computed the new way: not comparable with rows 0-1
      row(3, h1bit, PHASH_VERSION), // pairs with row 2
      row(4, 'fedcba9876543210', PHASH_VERSION), // far from everything
    ]);
    const report = await findDuplicates(store, { threshold: 0.999, hashDistance: 8, quiet: true });
    const groups = report.groups.map((g) => g.files.map((f) => f.id).sort()).sort();
    assert.deepEqual(groups, [
      ['id0', 'id1'],
      ['id2', 'id3'],
    ]);
    for (const g of report.groups) for (const f of g.files) assert.ok(f.hashDistance !== undefined && f.hashDistance <= 1);
  } finally {
    await store.close();
  }
});
