import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { VlmError } from '../util/errors.js';
import { cacheDir } from '../util/paths.js';
import { decodeHalf, encodeHalf } from './feature-cache-float16.js';

/**
 * Cached image-tower features, one matrix per (tower, tap, dataset, variant).
 *
 * Location: cacheDir('features', tower, tap)/   (= .cache/features/<tower>/<tap>/ unless $VLM_CACHE is set)
 *   <dataset>.<variant>.json   the index, written last (its presence means the matrix is complete):
 *       { format: "vlm-features/1", tower, tap, dataset, variant: "orig"|"flip"|"crop<k>", dtype: "f32"|"f16",
 *         rows, dim, shape (per-row shape: [c] for pooled taps, [h, w, c] for spatial maps), names, ... }
 *   <dataset>.<variant>.bin    rows x dim values, row-major, little-endian float32 or IEEE half (f16), no header.
 *       Row i belongs to names[i], the image's path relative to the dataset folder (Flickr8k: the file name;
 *       GTSRB: "train/<class>/<file>.png" or "test/<file>.png"; MedPix: the file name).
 *   .<dataset>.<variant>.chunks/<first-row>.bin   partial results while a (resumable) extraction runs.
 * Variants: the image as is, mirrored, or random-resized crop view k (src/model/feature-cache-crops.ts: a fixed box
 * per image name and view; crop caches may cover only the images training needs, e.g. the Flickr8k train split).
 * `tower` may carry a suffix for a preprocessing variant (e.g. "inception_v3-signed": inputs scaled to [-1, 1]).
 */

export type FeatureDataset = 'flickr8k' | 'gtsrb' | 'medpix';
export type FeatureVariant = 'orig' | 'flip' | `crop${number}`;
export type FeatureDtype = 'f32' | 'f16';
export const FEATURE_FORMAT = 'vlm-features/1';

export interface FeatureCacheIndex {
  format: typeof FEATURE_FORMAT;
  tower: string;
  tap: string;
  dataset: string;
  variant: FeatureVariant;
  dtype: FeatureDtype;
  rows: number;
  dim: number;
  shape: number[];
  names: string[];
  /** Free-form provenance: preprocessing spec, tool, date. */
  meta?: Record<string, unknown>;
}

export interface FeatureSelector {
  /** Default 'flickr8k'. */
  dataset?: FeatureDataset | string;
  /** Horizontally mirrored images (default false). */
  flip?: boolean;
  /** Any variant by name (overrides flip), e.g. 'crop0'. */
  variant?: FeatureVariant;
}

export function isFeatureVariant(v: string): v is FeatureVariant {
  return v === 'orig' || v === 'flip' || /^crop(0|[1-9]\d*)$/.test(v);
}

function variantOf(sel: { flip?: boolean; variant?: FeatureVariant }): FeatureVariant {
  const v = sel.variant ?? (sel.flip ? 'flip' : 'orig');
  if (!isFeatureVariant(v)) throw new VlmError(`unknown feature variant ${String(v)}: orig, flip or crop<k>`);
  return v;
}

export interface FeatureMatrix {
  index: FeatureCacheIndex;
  names: string[];
  dim: number;
  /** rows x dim, row-major. */
  data: Float32Array;
  /** Row number of an image name, or undefined. */
  rowOf(name: string): number | undefined;
  /** The row of an image (a view into data), or undefined. */
  row(name: string): Float32Array | undefined;
}

export function featureDir(tower: string, tap: string): string {
  return cacheDir('features', tower, tap);
}

function stem(sel: FeatureSelector): string {
  return `${sel.dataset ?? 'flickr8k'}.${variantOf(sel)}`;
}

export function featurePaths(tower: string, tap: string, sel: FeatureSelector = {}): { dir: string; index: string; bin: string; chunks: string } {
  const dir = featureDir(tower, tap);
  const s = stem(sel);
  return { dir, index: join(dir, `${s}.json`), bin: join(dir, `${s}.bin`), chunks: join(dir, `.${s}.chunks`) };
}

export function hasFeatureCache(tower: string, tap: string, sel: FeatureSelector = {}): boolean {
  const p = featurePaths(tower, tap, sel);
  return existsSync(p.index) && existsSync(p.bin);
}

export function readFeatureIndex(tower: string, tap: string, sel: FeatureSelector = {}): FeatureCacheIndex {
  const p = featurePaths(tower, tap, sel);
  if (!existsSync(p.index) || !existsSync(p.bin)) {
    throw new VlmError(
      `no cached features ${tower}/${tap} (${stem(sel)}) in ${p.dir}: run \`node dist/scripts/cache-features.js --tower ${tower.split('-')[0]} --dataset ${sel.dataset ?? 'flickr8k'}` +
        `${variantOf(sel).startsWith('crop') ? ` --taps ${tap} --crops ${Number(variantOf(sel).slice(4)) + 1} --crops-only --split train` : ''}\``,
    );
  }
  const index = JSON.parse(readFileSync(p.index, 'utf8')) as FeatureCacheIndex;
  if (index.format !== FEATURE_FORMAT) throw new VlmError(`${p.index}: unknown format ${String(index.format)}; rebuild the cache`);
  const expected = index.rows * index.dim * (index.dtype === 'f16' ? 2 : 4);
  const size = statSync(p.bin).size;
  if (size !== expected) throw new VlmError(`${p.bin}: ${size} bytes, expected ${expected}; the cache is damaged, rebuild it`);
  return index;
}

/** Bytes of a file as a typed array that owns an aligned buffer (readFileSync may return a pooled slice). */
function readAligned(path: string): ArrayBuffer {
  const buf = readFileSync(path);
  const out = new ArrayBuffer(buf.length);
  new Uint8Array(out).set(buf);
  return out;
}

function decode(bytes: ArrayBuffer, dtype: FeatureDtype): Float32Array {
  return dtype === 'f16' ? decodeHalf(new Uint16Array(bytes)) : new Float32Array(bytes);
}

/** The whole matrix in memory as float32 (f16 caches are decoded: a 7x7x1792 map of 8,091 images is ~2.8 GB). */
export function readFeatureCache(tower: string, tap: string, sel: FeatureSelector = {}): FeatureMatrix {
  const index = readFeatureIndex(tower, tap, sel);
  const data = decode(readAligned(featurePaths(tower, tap, sel).bin), index.dtype);
  const byName = new Map(index.names.map((n, i) => [n, i]));
  const dim = index.dim;
  return {
    index,
    names: index.names,
    dim,
    data,
    rowOf: (name) => byName.get(name),
    row(name) {
      const i = byName.get(name);
      return i === undefined ? undefined : data.subarray(i * dim, (i + 1) * dim);
    },
  };
}

/** Gather the rows of `names` (in that order) into one [names.length, dim] matrix; throws on a missing name. */
export function selectRows(m: FeatureMatrix, names: string[]): Float32Array {
  const out = new Float32Array(names.length * m.dim);
  names.forEach((n, i) => {
    const r = m.row(n);
    if (!r) throw new VlmError(`feature cache ${m.index.tower}/${m.index.tap} has no row for ${n}`);
    out.set(r, i * m.dim);
  });
  return out;
}

function toBytes(values: Float32Array, dtype: FeatureDtype): Uint8Array {
  const arr = dtype === 'f16' ? encodeHalf(values) : values;
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export interface FeatureWriteSpec {
  tower: string;
  tap: string;
  dataset: string;
  flip?: boolean;
  /** Overrides flip (e.g. 'crop0'). */
  variant?: FeatureVariant;
  dtype: FeatureDtype;
  shape: number[];
  meta?: Record<string, unknown>;
}

function makeIndex(spec: FeatureWriteSpec, names: string[]): FeatureCacheIndex {
  return {
    format: FEATURE_FORMAT,
    tower: spec.tower,
    tap: spec.tap,
    dataset: spec.dataset,
    variant: variantOf(spec),
    dtype: spec.dtype,
    rows: names.length,
    dim: spec.shape.reduce((a, b) => a * b, 1),
    shape: spec.shape,
    names,
    meta: spec.meta,
  };
}

/** Write a complete matrix in one go (rows x dim float32 input; stored as spec.dtype). */
export function writeFeatureCache(spec: FeatureWriteSpec, names: string[], data: Float32Array): void {
  const index = makeIndex(spec, names);
  if (data.length !== index.rows * index.dim) throw new VlmError(`writeFeatureCache: ${data.length} values for ${index.rows} x ${index.dim}`);
  const p = featurePaths(spec.tower, spec.tap, { dataset: spec.dataset, flip: spec.flip, variant: spec.variant });
  mkdirSync(p.dir, { recursive: true });
  writeAtomic(p.bin, toBytes(data, spec.dtype));
  writeAtomic(p.index, JSON.stringify(index));
}

/**
 * Resumable writing in chunks of consecutive rows: each chunk is its own file (written atomically), so a killed
 * run loses at most the chunks in flight. finish() concatenates them into the final matrix and index.
 */
export interface ChunkedFeatureWriter {
  /** True when the final matrix already exists (nothing to do). */
  readonly complete: boolean;
  hasChunk(firstRow: number): boolean;
  writeChunk(firstRow: number, rows: Float32Array): void;
  /** Concatenate all chunks (they must cover every row) and remove the chunk folder. */
  finish(): void;
}

export function openChunkedFeatureWriter(spec: FeatureWriteSpec, names: string[], opts: { restart?: boolean } = {}): ChunkedFeatureWriter {
  const p = featurePaths(spec.tower, spec.tap, { dataset: spec.dataset, flip: spec.flip, variant: spec.variant });
  const index = makeIndex(spec, names);
  const rowBytes = index.dim * (spec.dtype === 'f16' ? 2 : 4);
  const plan = join(p.chunks, 'plan.json');
  // The plan pins names/shape/dtype: chunks from a run with other settings must not be mixed in.
  const planText = JSON.stringify({ ...index, meta: undefined });
  if (opts.restart) {
    rmSync(p.chunks, { recursive: true, force: true });
    rmSync(p.index, { force: true });
  }
  const complete = existsSync(p.index) && existsSync(p.bin);
  if (!complete) {
    if (existsSync(plan) && readFileSync(plan, 'utf8') !== planText) {
      throw new VlmError(`${p.chunks} holds chunks of a run with other images or settings: rerun with --restart`);
    }
    mkdirSync(p.chunks, { recursive: true });
    if (!existsSync(plan)) writeAtomic(plan, planText);
  }
  const chunkFile = (first: number) => join(p.chunks, `${String(first).padStart(7, '0')}.bin`);
  return {
    complete,
    hasChunk: (first) => complete || existsSync(chunkFile(first)),
    writeChunk(first, rows) {
      if (rows.length % index.dim !== 0 || first + rows.length / index.dim > index.rows) {
        throw new VlmError(`writeChunk: ${rows.length} values at row ${first} do not fit ${index.rows} x ${index.dim}`);
      }
      writeAtomic(chunkFile(first), toBytes(rows, spec.dtype));
    },
    finish() {
      if (complete) return;
      const files = readdirSync(p.chunks).filter((f) => /^\d+\.bin$/.test(f)).sort();
      const tmp = `${p.bin}.${process.pid}.tmp`;
      const fd = openSync(tmp, 'w');
      let row = 0;
      try {
        for (const f of files) {
          if (Number(f.slice(0, -4)) !== row) throw new VlmError(`${p.chunks}: rows from ${row} are missing (next chunk ${f}); rerun to compute them`);
          const bytes = readFileSync(join(p.chunks, f));
          if (bytes.length % rowBytes !== 0) throw new VlmError(`${p.chunks}/${f}: torn chunk; delete it and rerun`);
          writeSync(fd, bytes);
          row += bytes.length / rowBytes;
        }
      } finally {
        closeSync(fd);
      }
      if (row !== index.rows) {
        rmSync(tmp, { force: true });
        throw new VlmError(`${p.chunks}: ${row} of ${index.rows} rows present; rerun to compute the rest`);
      }
      renameSync(tmp, p.bin);
      writeAtomic(p.index, JSON.stringify(index));
      rmSync(p.chunks, { recursive: true, force: true });
    },
  };
}

/** Every complete cache on disk: { tower, tap, dataset, variant, rows, dim, dtype, bytes }. */
export function listFeatureCaches(): { tower: string; tap: string; dataset: string; variant: string; rows: number; dim: number; dtype: string; bytes: number }[] {
  const root = cacheDir('features');
  if (!existsSync(root)) return [];
  const out = [];
  for (const tower of readdirSync(root)) {
    const td = join(root, tower);
    if (!statSync(td).isDirectory()) continue;
    for (const tap of readdirSync(td)) {
      const d = join(td, tap);
      if (!statSync(d).isDirectory()) continue;
      for (const f of readdirSync(d).filter((x) => /^[^.]+\.(orig|flip|crop\d+)\.json$/.test(x))) {
        try {
          const ix = JSON.parse(readFileSync(join(d, f), 'utf8')) as FeatureCacheIndex;
          if (ix.format !== FEATURE_FORMAT) continue;
          const bytes = statSync(join(d, f.replace(/\.json$/, '.bin'))).size;
          out.push({ tower, tap, dataset: ix.dataset, variant: ix.variant, rows: ix.rows, dim: ix.dim, dtype: ix.dtype, bytes });
        } catch {
          // Not one of ours (another cache in the features folder) or half-written: skip.
        }
      }
    }
  }
  return out;
}
