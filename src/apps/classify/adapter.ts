import { readFileSync } from 'node:fs';
import type { Encoder, Lang } from '../../encoders/encoder.js';
import { UsageError, VlmError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { embedImagesSafely } from '../embed-images.js';
import { softmaxRows } from './calibrate.js';
import { classCount, fewShotLogits, FEWSHOT_METHODS, paramsDim, type FewShotMethod, type FewShotParams, type FittedFewShot } from './fewshot-model.js';
import { matFromJson, matToJson, normalizeRows, stack, type MatJson } from './matrix.js';
import { centreRows, parseTowerFeatures, towerFeatureEncoder } from './tower-features.js';
import type { FileResult, LabelScore } from './zero-shot.js';

/**
 * An adapter file: a few-shot classifier fitted on one model's embeddings (or on its frozen image tower's
 * features, `features`), as JSON. It records the encoder it belongs to (id and dimension): features of another
 * model live in another space, so using it there is refused rather than silently wrong. Matrices are base64
 * float32 (bit-exact).
 */
export const ADAPTER_FORMAT = 'vlm-adapter/1';

type ParamsJson =
  | { method: 'zeroshot'; weights: MatJson }
  | { method: 'prototype'; prototypes: MatJson }
  | { method: 'probe' | 'ridge'; W: MatJson; b: number[] }
  | { method: 'tip' | 'tip-f'; weights: MatJson | null; zs_temperature: number; keys: MatJson; key_labels: number[]; alpha: number; beta: number };

/**
 * What the classifier reads instead of the embedding: taps of the model's frozen image tower
 * (src/apps/classify/tower-features.ts), normalised, then centred on `centre` (the mean of the support rows).
 */
export interface AdapterFeatures {
  kind: 'tower';
  /** As given to --features, e.g. "tower:b13_g2". */
  spec: string;
  tower: string;
  taps: string[];
  dim: number;
  centre: MatJson;
}

export interface AdapterFile {
  format: typeof ADAPTER_FORMAT;
  method: FewShotMethod;
  encoder: { id: string; dim: number };
  /** Absent: the classifier reads the model's embedding. */
  features?: AdapterFeatures;
  labels: string[];
  /** How the zero-shot prior was made (null for methods without one). */
  prompts: { lang: Lang; domain: string; templates: string[]; names: string[][] } | null;
  /** Probabilities are softmax(logits / temperature). */
  temperature: number;
  /** Chosen hyperparameters and cross-validation scores. */
  info: Record<string, number | string | boolean>;
  /** The examples it was fitted on; folders[c] is the sub-folder of labels[c]. */
  support: { examples: number; per_class: number[]; skipped: number; source?: string; folders?: string[] };
  created: string;
  params: ParamsJson;
}

function paramsToJson(p: FewShotParams): ParamsJson {
  switch (p.method) {
    case 'zeroshot': return { method: p.method, weights: matToJson(p.weights) };
    case 'prototype': return { method: p.method, prototypes: matToJson(p.prototypes) };
    case 'probe':
    case 'ridge': return { method: p.method, W: matToJson(p.W), b: p.b };
    default: return {
      method: p.method, weights: p.weights && matToJson(p.weights), zs_temperature: p.zsTemperature,
      keys: matToJson(p.keys), key_labels: p.keyLabels, alpha: p.alpha, beta: p.beta,
    };
  }
}

function paramsFromJson(j: ParamsJson, where: string): FewShotParams {
  const m = (x: MatJson, what: string) => matFromJson(x, `${where}: params.${what}`);
  switch (j.method) {
    case 'zeroshot': return { method: j.method, weights: m(j.weights, 'weights') };
    case 'prototype': return { method: j.method, prototypes: m(j.prototypes, 'prototypes') };
    case 'probe':
    case 'ridge': return { method: j.method, W: m(j.W, 'W'), b: j.b };
    case 'tip':
    case 'tip-f': return {
      method: j.method, weights: j.weights ? m(j.weights, 'weights') : null, zsTemperature: j.zs_temperature,
      keys: m(j.keys, 'keys'), keyLabels: j.key_labels, alpha: j.alpha, beta: j.beta,
    };
    default: throw new VlmError(`${where}: unknown method "${(j as { method: string }).method}"`);
  }
}

export function makeAdapterFile(
  fit: FittedFewShot,
  meta: { encoder: Encoder; labels: string[]; prompts: AdapterFile['prompts']; support: AdapterFile['support']; features?: AdapterFeatures },
): AdapterFile {
  return {
    format: ADAPTER_FORMAT,
    method: fit.params.method,
    encoder: { id: meta.encoder.id, dim: meta.encoder.dim },
    ...(meta.features ? { features: meta.features } : {}),
    labels: meta.labels,
    prompts: meta.prompts,
    temperature: fit.temperature,
    info: fit.info,
    support: meta.support,
    created: new Date().toISOString(),
    params: paramsToJson(fit.params),
  };
}

export function saveAdapter(path: string, file: AdapterFile): void {
  writeFileAtomic(path, JSON.stringify(file, null, 1) + '\n');
}

/** Read and check an adapter file (not yet tied to a model). */
export function readAdapterFile(path: string): AdapterFile {
  let file: AdapterFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as AdapterFile;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(e.code === 'ENOENT' ? `adapter file not found: ${path}` : `cannot read adapter ${path}: ${e.message}`);
  }
  if (file?.format !== ADAPTER_FORMAT) {
    throw new UsageError(`${path} is not a vlm adapter (format "${String(file?.format)}", expected "${ADAPTER_FORMAT}"): make one with \`vlm fewshot train\``);
  }
  if (!FEWSHOT_METHODS.includes(file.method) || file.params?.method !== file.method) throw new VlmError(`${path}: unknown or inconsistent method "${file.method}"`);
  if (typeof file.encoder?.id !== 'string' || !Number.isInteger(file.encoder?.dim)) throw new VlmError(`${path}: the adapter does not record its model ("encoder": {id, dim})`);
  if (!Array.isArray(file.labels) || file.labels.length < 2) throw new VlmError(`${path}: an adapter needs at least two labels`);
  if (!(file.temperature > 0)) throw new VlmError(`${path}: temperature must be > 0`);
  const f = file.features;
  if (f !== undefined && (f?.kind !== 'tower' || typeof f.spec !== 'string' || !Array.isArray(f.taps) || !Number.isInteger(f.dim) || !f.centre)) {
    throw new VlmError(`${path}: unknown or incomplete "features" (expected {kind: "tower", spec, tower, taps, dim, centre})`);
  }
  return file;
}

export interface FewShotAdapter {
  readonly file: AdapterFile;
  readonly method: FewShotMethod;
  readonly labels: string[];
  /**
   * Class probabilities per image embedding: [image][class], each row sums to 1. For a tower-feature adapter
   * the rows are the tower features (TowerFeatureExtractor.features, not yet centred).
   */
  probabilities(imageEmbeddings: Float32Array[]): Float32Array[];
  /** Labels sorted by probability for each embedding (same shape as zeroShotLabels().rank). */
  rank(imageEmbeddings: Float32Array[]): LabelScore[][];
  /** Embeds and ranks image files; unreadable files come back with their error, never abort the rest. */
  classifyFiles(paths: string[]): AsyncGenerator<FileResult>;
}

/** Refuse an adapter made for another model: its vectors would be compared across different spaces. */
export function checkAdapterModel(file: AdapterFile, encoder: Encoder, path = 'the adapter'): void {
  if (file.encoder.id !== encoder.id || file.encoder.dim !== encoder.dim) {
    throw new UsageError(
      `${path} was trained for model "${file.encoder.id}" (${file.encoder.dim}-d) but the loaded model is "${encoder.id}" (${encoder.dim}-d): ` +
        `pass --model with the folder of "${file.encoder.id}", or retrain the adapter with this model (vlm fewshot train <dir> --model ...)`,
    );
  }
}

/**
 * A ready classifier from an adapter file and the (matching) encoder. A tower-feature adapter also needs the
 * model folder (`modelDir`, default the shipped model) to find the tower the encoder was built on.
 */
export function adapterClassifier(file: AdapterFile, encoder: Encoder, path = 'the adapter', opts: { modelDir?: string } = {}): FewShotAdapter {
  checkAdapterModel(file, encoder, path);
  const params = paramsFromJson(file.params, path);
  const C = classCount(params);
  const dim = file.features?.dim ?? file.encoder.dim;
  if (C !== file.labels.length || paramsDim(params) !== dim) {
    throw new VlmError(`${path}: parameters are for ${C} classes x ${paramsDim(params)} dims, but it lists ${file.labels.length} labels for ${dim} dims`);
  }
  const features = file.features ? parseTowerFeatures(file.features.spec, opts.modelDir) : null;
  if (features && file.features && (features.tower !== file.features.tower || features.taps.join('+') !== file.features.taps.join('+'))) {
    throw new UsageError(`${path} reads ${file.features.spec} of tower ${file.features.tower}, but the model's tower is ${features.tower}: retrain the adapter with this model`);
  }
  const centre = file.features ? matFromJson(file.features.centre, `${path}: features.centre`).data : null;
  if (centre && centre.length !== dim) throw new VlmError(`${path}: features.centre has ${centre.length} values for ${dim} dims`);
  const probabilities = (embs: Float32Array[]): Float32Array[] => {
    if (embs.length === 0) return [];
    for (const e of embs) if (e.length !== dim) throw new VlmError(`${path}: expected ${dim}-d ${file.features ? `${file.features.spec} features` : 'embeddings'}, got ${e.length}-d`);
    const X = centre ? stack(centreRows(embs.map((e) => Float32Array.from(e)), centre), dim) : normalizeRows(stack(embs, dim));
    const p = softmaxRows(fewShotLogits(params, X), C, file.temperature);
    return embs.map((_, i) => Float32Array.from(p.subarray(i * C, (i + 1) * C)));
  };
  const rank = (embs: Float32Array[]) =>
    probabilities(embs).map((p) => Array.from(p, (score, c) => ({ label: file.labels[c], score })).sort((a, b) => b.score - a.score));
  return {
    file,
    method: file.method,
    labels: file.labels,
    probabilities,
    rank,
    async *classifyFiles(paths) {
      const source = features ? towerFeatureEncoder(features) : encoder;
      try {
        for await (const r of embedImagesSafely(source, paths)) {
          if ('error' in r) yield { path: r.item, error: r.error };
          else yield { path: r.item, labels: rank([r.embedding])[0], embedding: r.embedding };
        }
      } finally {
        if (source !== encoder) await source.dispose();
      }
    },
  };
}

/** Read an adapter file and bind it to the encoder (which must be the model it was trained with, from modelDir). */
export function loadAdapter(path: string, encoder: Encoder, opts: { modelDir?: string } = {}): FewShotAdapter {
  return adapterClassifier(readAdapterFile(path), encoder, path, opts);
}
