/**
 * Writes tiny random-weight CLIP, SigLIP and Chinese-CLIP checkpoint folders in the transformers.js
 * layout, for tests and for trying `--model <dir>` without downloading anything.
 *
 *   node dist/scripts/make-fixtures.js [outDir]     (default: .cache/fixtures/onnx)
 */
import { resolve } from 'node:path';
import { cacheDir } from '../src/util/paths.js';
import { writeAllFixtures } from './fixtures/checkpoints.js';

const out = resolve(process.argv[2] ?? cacheDir('fixtures', 'onnx'));
const t0 = performance.now();
const fixtures = writeAllFixtures(out);
for (const f of Object.values(fixtures)) console.log(f.dir);
console.error(`wrote ${Object.keys(fixtures).length} checkpoint folders in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
