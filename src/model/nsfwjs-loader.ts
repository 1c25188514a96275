import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { VlmError } from '../util/errors.js';
import { foldBatchNorm } from './image-tower-fold.js';
import { initTf, tf } from './tf.js';

/** The three pretrained image networks bundled in the `nsfwjs` npm package. */
export type NsfwjsModelName = 'mobilenet_v2' | 'mobilenet_v2_mid' | 'inception_v3';
export const NSFWJS_MODEL_NAMES: readonly NsfwjsModelName[] = ['mobilenet_v2', 'mobilenet_v2_mid', 'inception_v3'];

/**
 * mobilenet_v2 and inception_v3 are Keras layers models; mobilenet_v2_mid is a TF SavedModel converted to a graph model.
 * Input sizes come from nsfwjs' own model definitions (InceptionV3: 299, the others: 224).
 */
export const NSFWJS_MODEL_INFO: Record<NsfwjsModelName, { kind: 'layers' | 'graph'; inputSize: number; shards: number }> = {
  mobilenet_v2: { kind: 'layers', inputSize: 224, shards: 1 },
  mobilenet_v2_mid: { kind: 'graph', inputSize: 224, shards: 2 },
  inception_v3: { kind: 'layers', inputSize: 299, shards: 6 },
};

export type NsfwjsModel =
  | { name: NsfwjsModelName; kind: 'layers'; model: tf.LayersModel }
  | { name: NsfwjsModelName; kind: 'graph'; model: tf.GraphModel };

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  userDefinedMetadata?: Record<string, unknown>;
}

function modelsDir(): string {
  // The package's exports map hides dist/models; the main entry is dist/cjs/index.js, its sibling folder holds them.
  return join(dirname(createRequire(import.meta.url).resolve('nsfwjs')), '..', 'models');
}

/**
 * Each shard file is a browserify bundle whose only module is `h.exports="<base64>"`.
 * Cut the string out and decode it natively: nsfwjs' own loader copies it one char at a time (7-73 s).
 */
function readShard(file: string): Buffer {
  const text = readFileSync(file, 'latin1');
  const marker = 'exports="';
  const start = text.indexOf(marker);
  const end = start < 0 ? -1 : text.indexOf('"', start + marker.length);
  if (start < 0 || end < 0) throw new VlmError(`nsfwjs weight shard has an unexpected layout: ${file}; check the nsfwjs version (4.x expected)`);
  return Buffer.from(text.slice(start + marker.length, end), 'base64');
}

/** Model topology + weights in memory (no tfjs involved): usable with tf.io.fromMemory. */
export function nsfwjsArtifacts(name: NsfwjsModelName): tf.io.ModelArtifacts {
  const dir = join(modelsDir(), name);
  // model.min.js is a UMD bundle exporting a JS object literal (not JSON), so let node evaluate it.
  const json = createRequire(import.meta.url)(join(dir, 'model.min.js')) as ModelJson;
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const path of group.paths) buffers.push(readShard(join(dir, `${path}.min.js`)));
    weightSpecs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
    weightSpecs,
    weightData,
  };
}

/**
 * Load one nsfwjs network on the wasm backend in well under a second. Dispose with `model.dispose()` (nsfwjs' own
 * dispose throws). Layers models get BatchNorm (+ReLU) folded into their convolutions unless `fold: false`.
 */
export async function loadNsfwjsModel(name: NsfwjsModelName, opts: { fold?: boolean } = {}): Promise<NsfwjsModel> {
  const info = NSFWJS_MODEL_INFO[name];
  if (!info) throw new VlmError(`unknown nsfwjs model "${String(name)}"; use one of ${NSFWJS_MODEL_NAMES.join(', ')}`);
  await initTf();
  const artifacts = nsfwjsArtifacts(name);
  if (info.kind === 'graph') return { name, kind: 'graph', model: await tf.loadGraphModel(tf.io.fromMemory(artifacts)) };
  if (opts.fold === false) return { name, kind: 'layers', model: await tf.loadLayersModel(tf.io.fromMemory(artifacts)) };
  const decoded = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  const folded = foldBatchNorm(artifacts.modelTopology as object, decoded);
  const { data, specs } = await tf.io.encodeWeights(folded.weights);
  for (const t of new Set([...Object.values(decoded), ...Object.values(folded.weights)])) t.dispose();
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: folded.topology, weightSpecs: specs, weightData: data }));
  return { name, kind: 'layers', model };
}
