// Child process for lancedb-crash.test.ts: writes to a LanceDB store in a loop until SIGKILLed,
// printing each committed batch number so the parent knows what must have survived.
import { openLanceDbStore } from '../../src/store/lancedb-store.js';
import { makeItems } from './synthetic.js';

const [dir, kind] = process.argv.slice(2);
if (dir) {
  const BATCH = 200;
  const pool = makeItems(4000, 32, 3);
  const store = await openLanceDbStore(dir, { dim: 32, indexThreshold: 1000, indexKind: kind === 'ivf_pq' ? 'ivf_pq' : 'ivf_hnsw_sq' });
  for (let b = 0; ; b++) {
    // ids cycle through 20 batches: later writes overwrite (merge-insert rewrites + deletion files)
    const start = (b % 20) * BATCH;
    const batch = pool.slice(start, start + BATCH).map((it) => ({ ...it, metadata: { ...it.metadata, round: b } }));
    await store.upsert(batch);
    if (b % 5 === 4) await store.optimize(); // compaction and index updates get killed too
    process.stdout.write(`committed ${b}\n`);
  }
}
