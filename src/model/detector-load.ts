import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { initTf, tf } from './tf.js';

export { detectorModelPath, type DetectorKind } from './detector-paths.js';

interface GraphModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  signature?: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
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
