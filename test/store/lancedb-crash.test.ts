import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openLanceDbStore } from '../../src/store/lancedb-store.js';
import { createRng } from '../../src/util/rng.js';

const writer = fileURLToPath(new URL('./crash-writer.js', import.meta.url));

/** Runs the writer until it has committed `minBatches`, then SIGKILLs it after `extraMs` (mid-write). */
function writeThenKill(dir: string, kind: string, minBatches: number, extraMs: number): Promise<number> {
  const child = spawn(process.execPath, [writer, dir, kind], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let last = -1;
    let killing = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      last = Number(line.split(' ')[1]);
      if (last + 1 >= minBatches && !killing) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited by itself (code ${code}): ${stderr}`));
    });
  });
}

test('a LanceDB store reopens intact after its writer is SIGKILLed mid-write', { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'vlm-crash-'));
  const rng = createRng(11);
  try {
    // three kills at different moments, into the same folder: before, during and after index builds
    const plans: [string, number][] = [
      ['ivf_hnsw_sq', 3],
      ['ivf_pq', 7],
      ['ivf_pq', 12],
    ];
    for (const [kind, minBatches] of plans) {
      const dir = join(root, 'store');
      const committed = await writeThenKill(dir, kind, minBatches, Math.floor(rng() * 40));
      const store = await openLanceDbStore(dir);
      try {
        const n = await store.count();
        // every committed batch survived; a batch is all-or-nothing
        assert.ok(n >= Math.min(4000, (committed + 1) * 200), `count ${n} after ${committed + 1} committed batches`);
        assert.equal(n % 200, 0, `a torn batch: ${n} rows`);
        const [probe] = await store.get(['img-0']);
        assert.ok(probe, 'first item readable');
        const hits = await store.search(probe.vector, 5);
        assert.equal(hits[0].id, 'img-0');
        assert.ok(hits[0].score > 0.999);
        // and the store takes writes again
        await store.upsert([{ id: 'after-crash', vector: probe.vector, metadata: { path: 'x' } }]);
        assert.equal(await store.count(), n + 1);
        await store.delete(['after-crash']);
      } finally {
        await store.close();
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
