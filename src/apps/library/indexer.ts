/**
 * `vlm index`: brings a store in line with a folder. The store is the only state: each image is one
 * row keyed by its content hash, written in batches that commit atomically, so after a kill -9 the
 * next run finds exactly the finished work and does the rest (no manifest to fall out of step).
 *
 *   1. read the store's rows (copies per image, no vectors) and walk the folder;
 *   2. files whose size and mtime match a stored copy are unchanged and not read;
 *   3. the others are read and hashed; known content only gains a copy, new content is decoded once
 *      (header, EXIF, the encoder's input pixels, thumbnail, pHash) while the encoder embeds the
 *      previous batch, then written;
 *   4. copies that vanished are dropped, images left without copies deleted, changed copy lists rewritten.
 */
import { resolve, sep } from 'node:path';
import type { Encoder } from '../../encoders/encoder.js';
import type { ImageInput } from '../../image/types.js';
import type { VectorItem, VectorStore } from '../../store/vector-store.js';
import { InputError } from '../../util/errors.js';
import { refusal, safetyVerdicts, type IndexSafety } from '../safety/index-hook.js';
import { progress } from '../../util/progress.js';
import { embedImagesSafely } from '../embed-images.js';
import { readAndHash } from './hash.js';
import { imageFacts } from './image-facts.js';
import { buildMetadata, sameFiles, withFiles, type ImageFacts, type LibraryFile, type LibraryMetadata } from './library-item.js';
import { loadLibraryState } from './library-state.js';
import { parallelMap } from './parallel-map.js';
import { walkImages, type DiskFile, type SkippedFile } from './walk.js';

export interface IndexOptions {
  /** the folder to index */
  root: string;
  store: VectorStore;
  encoder: Encoder;
  /** the --model folder, recorded so a "wrong model" error can name it */
  model?: string;
  /** images per encoder call (default 32) */
  batchSize?: number;
  /**
   * encoder calls in flight (default 2): while one batch runs in the model, the next is decoded, so
   * neither core waits on the other. 1 = strictly one call at a time (for encoders that cannot share).
   */
  pipelineDepth?: number;
  /** rows per store write (default 256); a kill loses at most this many (or commitSeconds of) finished images */
  commitEvery?: number;
  /** write at least this often while embedding (default 10 s) */
  commitSeconds?: number;
  /** folders not to walk (the library's own db when it sits inside the folder) */
  exclude?: string[];
  /** no progress bar */
  quiet?: boolean;
  /** stop early (Ctrl-C): finished images are written, the rest is left for the next run */
  signal?: AbortSignal;
  /** image safety check (apps/safety): verdict stored as metadata.safety; the policy may hide or refuse */
  safety?: IndexSafety;
}

export interface IndexReport {
  root: string;
  /** files added or changed in this run (new content embedded, or a copy of known content) */
  indexed: number;
  /** files whose size and mtime matched what the library holds */
  unchanged: number;
  /** files gone from disk since the last run */
  removed: number;
  skipped: SkippedFile[];
  /** distinct new images sent to the encoder */
  embedded: number;
  /** files with other extensions (videos, sidecars, documents) */
  ignored: number;
  /** distinct images and files under root after the run */
  images: number;
  files: number;
  /** true when stopped by the signal before the end */
  interrupted: boolean;
  encoder: string;
  seconds: number;
}

type Prepared =
  | { kind: 'skip'; file: DiskFile; reason: string }
  | { kind: 'copy'; file: DiskFile; id: string }
  | { kind: 'new'; file: DiskFile; id: string; data: Buffer; facts: ImageFacts; input: ImageInput };

const UPDATE_CHUNK = 256;

export async function indexLibrary(opts: IndexOptions): Promise<IndexReport> {
  const t0 = Date.now();
  const root = resolve(opts.root);
  const { store, encoder } = opts;
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const depth = Math.max(1, opts.pipelineDepth ?? 2);
  const commitEvery = Math.max(1, opts.commitEvery ?? 256);
  const commitMs = (opts.commitSeconds ?? 10) * 1000;
  const under = (p: string) => p.startsWith(root.endsWith(sep) ? root : root + sep);

  const state = await loadLibraryState(store, encoder.id);
  const walk = await walkImages(root, { exclude: opts.exclude });
  const onDisk = new Map(walk.files.map((f) => [f.path, f]));
  const skipped: SkippedFile[] = [...walk.skipped];

  const isUnchanged = (f: LibraryFile): boolean => {
    const d = onDisk.get(f.path);
    return d !== undefined && d.size === f.size && d.mtimeMs === f.mtimeMs && state.byPath.get(f.path)?.length === 1;
  };
  // copies each image should have after the run: those outside root untouched, those under root only if unchanged
  const want = new Map<string, LibraryFile[]>();
  for (const [id, files] of state.files) want.set(id, files.filter((f) => !under(f.path) || isUnchanged(f)));
  /** copies the store holds per image (before the run, or as written during it) */
  const held = new Map(state.files);

  let unchanged = 0;
  const pending: DiskFile[] = [];
  for (const f of walk.files) {
    const ids = state.byPath.get(f.path);
    const stored = ids?.length === 1 ? state.files.get(ids[0])?.find((c) => c.path === f.path) : undefined;
    if (stored && isUnchanged(stored)) unchanged++;
    else pending.push(f);
  }
  let removed = 0;
  for (const p of state.byPath.keys()) if (under(p) && !onDisk.has(p)) removed++;

  // step 3: hash, decode and embed what is new
  const claimed = new Set<string>(); // new content already on its way to the encoder
  const failed = new Map<string, string>(); // content that could not be embedded -> why
  const copies = new Map<string, DiskFile[]>(); // further files with content claimed in this run
  const prepare = async (file: DiskFile): Promise<Prepared> => {
    let data: Buffer, id: string;
    try {
      ({ data, hash: id } = await readAndHash(file.path));
    } catch (e) {
      return { kind: 'skip', file, reason: readError(e) };
    }
    if (data.length === 0) return { kind: 'skip', file, reason: 'empty file (0 bytes), not an image' };
    if (state.files.has(id) || claimed.has(id)) return { kind: 'copy', file, id };
    claimed.add(id);
    try {
      const { facts, input } = await imageFacts(file.path, data, encoder.imagePreprocess);
      return { kind: 'new', file, id, data, facts, input };
    } catch (e) {
      // never fatal: whatever goes wrong with one file is reported with it
      const reason = e instanceof InputError ? e.message : `cannot decode (${e instanceof Error ? e.message : String(e)})`;
      failed.set(id, reason);
      return { kind: 'skip', file, reason };
    }
  };

  const bar = progress('indexing', pending.length, { quiet: opts.quiet });
  let embedded = 0;
  let rows: VectorItem[] = [];
  let lastWrite = Date.now();
  let writing: Promise<void> = Promise.resolve();
  let writeError: { error: unknown } | undefined;
  // writes are chained (one at a time, in order); the caller waits only for the one before, so the
  // encoder goes on while a batch is being committed
  const write = async (force: boolean): Promise<void> => {
    if (writeError) throw writeError.error;
    if (rows.length === 0 || (!force && rows.length < commitEvery && Date.now() - lastWrite < commitMs)) return;
    const batch = rows;
    rows = [];
    lastWrite = Date.now();
    const previous = writing;
    writing = previous.then(() => store.upsert(batch)).catch((error: unknown) => void (writeError ??= { error }));
    await previous;
  };
  const embed = async (batch: Extract<Prepared, { kind: 'new' }>[]): Promise<void> => {
    const byInput = new Map(batch.map((b) => [b.input, b]));
    const verdicts = opts.safety ? await safetyVerdicts(opts.safety, batch.map((b) => b.data)) : undefined;
    for await (const r of embedImagesSafely(encoder, batch.map((b) => b.input), batch.length)) {
      const p = byInput.get(r.item)!;
      const verdict = verdicts?.[batch.indexOf(p)];
      const refused = opts.safety && refusal(opts.safety, verdict);
      if ('error' in r || refused) {
        const reason = 'error' in r ? r.error : (refused as string);
        failed.set(p.id, reason);
        skipped.push({ path: p.file.path, reason });
        continue;
      }
      const files = [p.file, ...(copies.get(p.id) ?? [])].map(toLibraryFile);
      rows.push({ id: p.id, vector: r.embedding, metadata: { ...buildMetadata(files, p.facts, { id: encoder.id, model: opts.model }), ...(verdict ? { safety: verdict } : {}) } });
      held.set(p.id, files);
      want.set(p.id, files);
      embedded++;
    }
    bar.tick(batch.length, { skipped: skipped.length });
    await write(false);
  };

  let interrupted = false;
  // encoder calls in flight: the next batch is decoded and queued while the current one runs
  const inflight: Promise<void>[] = [];
  const settle = async (max: number) => {
    while (inflight.length > max) await inflight.shift();
  };
  try {
    let batch: Extract<Prepared, { kind: 'new' }>[] = [];
    const flushBatch = async () => {
      if (batch.length === 0) return;
      const job = embed(batch);
      job.catch(() => undefined); // surfaced by settle()
      inflight.push(job);
      batch = [];
      await settle(depth - 1);
    };
    for await (const p of parallelMap(pending, prepare, { concurrency: batchSize, buffer: 2 * batchSize })) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (p.kind === 'skip') {
        skipped.push({ path: p.file.path, reason: p.reason });
        bar.tick(1, { skipped: skipped.length });
      } else if (p.kind === 'copy') {
        const list = copies.get(p.id);
        if (list) list.push(p.file);
        else copies.set(p.id, [p.file]);
        bar.tick(1, { skipped: skipped.length });
      } else {
        batch.push(p);
        if (batch.length >= batchSize) await flushBatch();
      }
    }
    if (!interrupted) await flushBatch();
    await settle(0);
    await write(true);
    await writing;
    if (writeError) throw writeError.error;
  } finally {
    bar.stop();
  }

  // step 4: copies found this run join their image; vanished copies leave it
  let indexed = embedded;
  for (const [id, files] of copies) {
    const reason = failed.get(id);
    if (reason !== undefined) {
      for (const f of files) skipped.push({ path: f.path, reason });
      continue;
    }
    if (!held.has(id)) continue; // claimed but not embedded (interrupted): next run
    const merged = new Map([...(want.get(id) ?? []), ...files.map(toLibraryFile)].map((f) => [f.path, f]));
    want.set(id, [...merged.values()]);
    indexed += files.length;
  }
  // after an interruption the walk is complete but the hashing is not: leave the copy lists alone
  if (interrupted) indexed = embedded;
  else await reconcile(store, want, held);
  if (!interrupted && (embedded > 0 || removed > 0)) await store.optimize();

  let images = 0, files = 0;
  for (const fs of interrupted ? held.values() : want.values()) {
    const n = fs.filter((f) => under(f.path)).length;
    if (n > 0) images++;
    files += n;
  }
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    root,
    indexed,
    unchanged,
    removed: interrupted ? 0 : removed,
    skipped,
    embedded,
    ignored: walk.ignored,
    images,
    files,
    interrupted,
    encoder: encoder.id,
    seconds: (Date.now() - t0) / 1000,
  };
}

/** Rewrites rows whose copies changed (vector kept) and deletes rows left without copies. */
async function reconcile(store: VectorStore, want: Map<string, LibraryFile[]>, held: Map<string, LibraryFile[]>): Promise<void> {
  const update: string[] = [];
  const remove: string[] = [];
  for (const [id, files] of want) {
    const current = held.get(id);
    if (!current) continue;
    if (files.length === 0) remove.push(id);
    else if (!sameFiles(files, current)) update.push(id);
  }
  for (let i = 0; i < update.length; i += UPDATE_CHUNK) {
    const items = await store.get(update.slice(i, i + UPDATE_CHUNK));
    await store.upsert(items.map((it) => ({ ...it, metadata: { ...withFiles(it.metadata as unknown as LibraryMetadata, want.get(it.id)!) } })));
  }
  if (remove.length) await store.delete(remove);
}

function toLibraryFile(f: DiskFile): LibraryFile {
  return { path: f.path, size: f.size, mtimeMs: f.mtimeMs };
}

function readError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'file vanished while indexing';
  if (code === 'EISDIR') return 'is a folder';
  return `cannot read (${code ?? (e instanceof Error ? e.message : String(e))})`;
}
