/**
 * The metadata a library keeps per image (one row per distinct content; the id is the content hash).
 * `path` and `takenAt` are also store columns, so path-prefix and date filters run in the database.
 */
import type { ImageMeta } from '../../image/meta.js';

/** One copy of the image on disk. */
export interface LibraryFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface LibraryMetadata {
  /** the first of `paths` in sort order: the store's path column, matched by --path-prefix */
  path: string;
  /** every file with this content (identical copies are stored once) */
  paths: string[];
  /** size and mtime per copy: an unchanged size+mtime means the file need not be read again */
  files: LibraryFile[];
  /** bytes of the file */
  size: number;
  format: string;
  /** displayed size (EXIF orientation applied) */
  width: number;
  height: number;
  /** capture time in epoch ms: EXIF when present (dateSource 'exif'), else the oldest copy's mtime ('file') */
  takenAt: number;
  dateSource: 'exif' | 'file';
  /** ISO form of takenAt, for people reading --json output */
  date: string;
  camera?: string;
  gps?: { lat: number; lon: number; alt?: number };
  /** `data:image/webp;base64,...`, at most 128 px: inline so the store alone is the whole library */
  thumbnail?: string;
  /** 64-bit perceptual hash (16 hex digits), see perceptual-hash.ts: near-duplicate detection */
  phash?: string;
  /** how phash was computed (perceptual-hash.ts PHASH_VERSION); absent = 1. Only hashes of one version are compared. */
  phashVersion?: number;
  /** Encoder.id of the model that made the vector: one library never mixes models */
  encoder: string;
  /** the --model folder used, when one was given (helps the "wrong model" error say which to pass) */
  model?: string;
  indexedAt: number;
}

export interface ImageFacts {
  meta: ImageMeta;
  thumbnail?: string;
  phash?: string;
  phashVersion?: number;
}

/** Sorted, deduplicated by path; the primary path is the first. */
function normaliseFiles(files: LibraryFile[]): LibraryFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function dateFields(exifTakenAt: number | undefined, files: LibraryFile[]): Pick<LibraryMetadata, 'takenAt' | 'dateSource' | 'date'> {
  const takenAt = exifTakenAt ?? Math.min(...files.map((f) => f.mtimeMs));
  return { takenAt, dateSource: exifTakenAt !== undefined ? 'exif' : 'file', date: new Date(takenAt).toISOString() };
}

export function buildMetadata(files: LibraryFile[], facts: ImageFacts, encoder: { id: string; model?: string }): LibraryMetadata {
  const fs = normaliseFiles(files);
  const { meta } = facts;
  const md: LibraryMetadata = {
    path: fs[0].path,
    paths: fs.map((f) => f.path),
    files: fs,
    size: fs[0].size,
    format: meta.format,
    width: meta.width,
    height: meta.height,
    ...dateFields(meta.takenAt, fs),
    encoder: encoder.id,
    indexedAt: Date.now(),
  };
  if (meta.camera) md.camera = meta.camera;
  if (meta.gps) md.gps = meta.gps;
  if (facts.thumbnail) md.thumbnail = facts.thumbnail;
  if (facts.phash) {
    md.phash = facts.phash;
    if (facts.phashVersion !== undefined) md.phashVersion = facts.phashVersion;
  }
  if (encoder.model) md.model = encoder.model;
  return md;
}

/** The same image with another set of copies (files added, moved or deleted). */
export function withFiles(md: LibraryMetadata, files: LibraryFile[]): LibraryMetadata {
  const fs = normaliseFiles(files);
  const out: LibraryMetadata = { ...md, path: fs[0].path, paths: fs.map((f) => f.path), files: fs, size: fs[0].size };
  if (md.dateSource !== 'exif') Object.assign(out, dateFields(undefined, fs));
  return out;
}

/** The copies recorded in stored metadata (tolerant of rows written by hand or by older versions). */
export function filesOf(md: Record<string, unknown>): LibraryFile[] {
  if (Array.isArray(md.files)) {
    return md.files.flatMap((f: unknown) => {
      const r = f as Partial<LibraryFile> | null;
      return r && typeof r.path === 'string' ? [{ path: r.path, size: Number(r.size ?? -1), mtimeMs: Number(r.mtimeMs ?? -1) }] : [];
    });
  }
  const paths = Array.isArray(md.paths) ? md.paths.filter((p): p is string => typeof p === 'string') : typeof md.path === 'string' ? [md.path] : [];
  return paths.map((path) => ({ path, size: -1, mtimeMs: -1 }));
}

export function pathsOf(md: Record<string, unknown>): string[] {
  return filesOf(md).map((f) => f.path);
}

/** True when both list the same copies with the same size and mtime. */
export function sameFiles(a: LibraryFile[], b: LibraryFile[]): boolean {
  if (a.length !== b.length) return false;
  const x = normaliseFiles(a), y = normaliseFiles(b);
  return x.every((f, i) => f.path === y[i].path && f.size === y[i].size && f.mtimeMs === y[i].mtimeMs);
}
