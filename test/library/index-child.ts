/**
 * `node dist/test/library/index-child.js <root> <db> <modelDir>`: indexes a folder the way `vlm index`
 * does, for the kill test (which SIGKILLs it mid-run). Each encoder call is held back 30 ms so a
 * run over a few hundred tiny images lasts long enough to be killed in the middle on any machine.
 * Without arguments (as when the test runner loads every file under test/) it does nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { indexLibrary } from '../../src/apps/library/indexer.js';
import { openLibraryForIndexing } from '../../src/apps/library/library-db.js';
import type { Encoder } from '../../src/encoders/encoder.js';
import { loadOnnxEncoder } from '../../src/encoders/onnx/index.js';

const [root, db, modelDir] = process.argv.slice(2);
if (root && db && modelDir) {
  const onnx = await loadOnnxEncoder(modelDir, { threads: 1 });
  const encoder: Encoder = {
    id: onnx.id,
    dim: onnx.dim,
    embedImages: async (inputs) => {
      await sleep(30);
      return onnx.embedImages(inputs);
    },
    embedTexts: (texts, opts) => onnx.embedTexts(texts, opts),
    dispose: () => onnx.dispose(),
  };
  const store = await openLibraryForIndexing(root, db, encoder.dim);
  const report = await indexLibrary({ root, store, encoder, model: modelDir, batchSize: 4, commitEvery: 8, quiet: true });
  await store.close();
  await encoder.dispose();
  process.stdout.write(JSON.stringify(report) + '\n');
}
