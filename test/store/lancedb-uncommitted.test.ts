/** A first write killed before LanceDB committed a version leaves a table folder it cannot open: open() recovers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLanceDbStore } from '../../src/store/lancedb-store.js';

test('a table folder without a committed version is started again, not an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-lance-uncommitted-'));
  try {
    const first = await openLanceDbStore(dir, { dim: 2 });
    await first.upsert([{ id: 'a', vector: Float32Array.from([1, 0]), metadata: {} }]);
    await first.close();
    // what a kill -9 during table creation leaves behind: data files, no manifest
    rmSync(join(dir, 'vectors.lance', '_versions'), { recursive: true, force: true });
    const again = await openLanceDbStore(dir, { dim: 2 });
    assert.equal(await again.count(), 0);
    await again.upsert([{ id: 'b', vector: Float32Array.from([0, 1]), metadata: {} }]);
    assert.equal(await again.count(), 1);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
