/**
 * Writes random-weight CLIP, SigLIP and Chinese-CLIP checkpoint folders in the transformers.js
 * layout, for tests and for trying `--model <dir>` without downloading anything.
 *
 *   node dist/scripts/make-fixtures.js [outDir]          tiny folders (default .cache/fixtures/onnx)
 *   node dist/scripts/make-fixtures.js --base [outDir]   one CLIP folder with ViT-B/32 shapes, fp32
 *                                                        (~600 MB; default .cache/fixtures/clip-base)
 */
import { join, resolve } from 'node:path';
import { cacheDir } from '../src/util/paths.js';
import { writeAllFixtures, writeFixture } from './fixtures/checkpoints.js';

const args = process.argv.slice(2);
const base = args.includes('--base');
const outArg = args.find((a) => !a.startsWith('--'));
const t0 = performance.now();
if (base) {
  const dir = resolve(outArg ?? cacheDir('fixtures', 'clip-base'));
  writeFixture('clip', dir, { size: 'base', variants: ['fp32'] });
  console.log(dir);
} else {
  const out = resolve(outArg ?? cacheDir('fixtures', 'onnx'));
  for (const f of Object.values(writeAllFixtures(out))) console.log(join(f.dir));
}
console.error(`done in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
