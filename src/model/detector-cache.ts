import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VlmError } from '../util/errors.js';
import { cacheDir } from '../util/paths.js';
import { COCO_LABELS, NUM_COCO_CLASSES } from './detector-labels.js';
import type { DetectorKind } from './detector-paths.js';

/**
 * Per-image detector features cached for training: a float32 row of 160 values per image,
 * [0, 80) = max score per COCO class, [80, 160) = number of detections of that class scoring >= countThreshold.
 * Files: index.json (layout + image names in row order) and features.f32 (rows appended in that order, little-endian).
 */
export const DETECTION_FEATURE_DIM = 2 * NUM_COCO_CLASSES;
export const DEFAULT_COUNT_THRESHOLD = 0.3;

export interface DetectionCacheIndex {
  kind: DetectorKind;
  dim: number;
  countThreshold: number;
  layout: string;
  labels: readonly string[];
  /** All images the cache is meant to cover, in row order; rows may still be missing at the end while it is written. */
  images: string[];
}

export interface DetectionCache {
  kind: DetectorKind;
  dim: number;
  countThreshold: number;
  /** Names of the rows present (a prefix of the index while the writer runs). */
  images: string[];
  /** rows x dim, row-major. */
  data: Float32Array;
  /** Every image in the index has its row. */
  complete: boolean;
  /** The row of an image by file name, or undefined when it is not (yet) cached. */
  row(image: string): Float32Array | undefined;
}

export function detectionCacheDir(kind: DetectorKind): string {
  return cacheDir('features', 'detector', kind);
}

const INDEX = 'index.json';
const DATA = 'features.f32';
const ROW_BYTES = DETECTION_FEATURE_DIM * 4;

function readIndex(dir: string): DetectionCacheIndex | undefined {
  const p = join(dir, INDEX);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as DetectionCacheIndex) : undefined;
}

export function readDetectionCache(kind: DetectorKind = 'centernet', dir: string = detectionCacheDir(kind)): DetectionCache {
  const index = readIndex(dir);
  if (!index || !existsSync(join(dir, DATA))) {
    throw new VlmError(`no detector cache at ${dir}: run \`node dist/scripts/cache-detections.js --kind ${kind}\``);
  }
  if (index.dim !== DETECTION_FEATURE_DIM) throw new VlmError(`detector cache ${dir} has dim ${index.dim}, expected ${DETECTION_FEATURE_DIM}: rebuild it with --restart`);
  const buf = readFileSync(join(dir, DATA));
  const rows = Math.min(index.images.length, Math.floor(buf.length / ROW_BYTES));
  // Copy into an aligned buffer: readFileSync may hand back a slice of a shared pool at any offset.
  const data = new Float32Array(rows * DETECTION_FEATURE_DIM);
  new Uint8Array(data.buffer).set(buf.subarray(0, rows * ROW_BYTES));
  const images = index.images.slice(0, rows);
  const byName = new Map(images.map((n, i) => [n, i]));
  return {
    kind: index.kind,
    dim: index.dim,
    countThreshold: index.countThreshold,
    images,
    data,
    complete: rows === index.images.length,
    row(image) {
      const i = byName.get(image);
      return i === undefined ? undefined : data.subarray(i * DETECTION_FEATURE_DIM, (i + 1) * DETECTION_FEATURE_DIM);
    },
  };
}

/** Appends rows in index order; reopening the same index resumes after the last whole row. */
export interface DetectionCacheWriter {
  /** Rows already on disk when opened (resume point). */
  readonly done: number;
  append(rows: Float32Array): void;
  close(): void;
}

export function openDetectionCacheWriter(
  kind: DetectorKind,
  images: string[],
  opts: { dir?: string; countThreshold?: number; restart?: boolean } = {},
): DetectionCacheWriter {
  const dir = opts.dir ?? detectionCacheDir(kind);
  const countThreshold = opts.countThreshold ?? DEFAULT_COUNT_THRESHOLD;
  const index: DetectionCacheIndex = {
    kind,
    dim: DETECTION_FEATURE_DIM,
    countThreshold,
    layout: `[0,80): max score per COCO class; [80,160): count of detections with score >= ${countThreshold}; float32 LE, one row per image in index order`,
    labels: COCO_LABELS,
    images,
  };
  mkdirSync(dir, { recursive: true });
  const old = readIndex(dir);
  const same = old !== undefined && JSON.stringify({ ...old, layout: '' }) === JSON.stringify({ ...index, layout: '' });
  if (old && !same && !opts.restart) {
    throw new VlmError(`detector cache ${dir} was built for other images or settings: pass --restart to rebuild it`);
  }
  const fresh = !same || opts.restart === true;
  if (fresh) {
    writeFileSync(join(dir, INDEX + '.tmp'), JSON.stringify(index));
    renameSync(join(dir, INDEX + '.tmp'), join(dir, INDEX));
  }
  const fd = openSync(join(dir, DATA), fresh || !existsSync(join(dir, DATA)) ? 'w' : 'r+');
  // A crash mid-write can leave a torn last row: cut back to whole rows before appending.
  const done = Math.min(images.length, Math.floor(fstatSync(fd).size / ROW_BYTES));
  ftruncateSync(fd, done * ROW_BYTES);
  let written = done;
  return {
    done,
    append(rows) {
      if (rows.length % DETECTION_FEATURE_DIM !== 0) throw new VlmError(`append: ${rows.length} floats is not a whole number of ${DETECTION_FEATURE_DIM}-d rows`);
      const n = rows.length / DETECTION_FEATURE_DIM;
      if (written + n > images.length) throw new VlmError(`append: ${written + n} rows exceed the ${images.length} images of the index`);
      writeSync(fd, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength), 0, rows.byteLength, written * ROW_BYTES);
      written += n;
    },
    close() {
      closeSync(fd);
    },
  };
}
