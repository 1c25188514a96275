/**
 * The server's view of one image library: the store, the roots it may read, and at most one indexing
 * job at a time whose progress any number of clients can follow (server-sent events).
 */
import { EventEmitter } from 'node:events';
import type { Encoder } from '../encoders/encoder.js';
import { indexLibrary, type IndexReport } from '../apps/library/indexer.js';
import { pathsOf } from '../apps/library/library-item.js';
import { walkImages } from '../apps/library/walk.js';
import type { VectorItem, VectorStore } from '../store/vector-store.js';
import { HttpError, notFound } from './http-errors.js';
import type { LibraryRoots } from './roots.js';
import { SafetyGate } from './safety.js';

export interface IndexProgress {
  /** folders being indexed (as shown to clients) */
  folders: string[];
  /** image files found on disk in those folders (known once the walk is done) */
  found?: number;
  /** images the store holds now */
  images: number;
  /** images the store held when the job began */
  imagesBefore: number;
  seconds: number;
}

export interface IndexSummary {
  folder: string;
  indexed: number;
  unchanged: number;
  removed: number;
  skipped: { path: string; reason: string }[];
  images: number;
  seconds: number;
  interrupted: boolean;
  /** the safety policy the job ran under ('off': no check) */
  safety: string;
}

/** One run over some folders. Emits 'progress' (IndexProgress), then 'done' (IndexSummary[]) or 'failed' (Error). */
export class IndexJob extends EventEmitter {
  progress: IndexProgress;
  result?: IndexSummary[];
  error?: Error;
  readonly finished: Promise<void>;

  constructor(folders: string[], imagesBefore: number, work: (job: IndexJob) => Promise<IndexSummary[]>) {
    super();
    this.progress = { folders, images: imagesBefore, imagesBefore, seconds: 0 };
    this.finished = work(this).then(
      (r) => { this.result = r; this.emit('done', r); },
      (e: unknown) => { this.error = e instanceof Error ? e : new Error(String(e)); this.emit('failed', this.error); },
    );
  }

  get running(): boolean {
    return this.result === undefined && this.error === undefined;
  }

  update(p: Partial<IndexProgress>): void {
    this.progress = { ...this.progress, ...p };
    this.emit('progress', this.progress);
  }
}

export class Library {
  job?: IndexJob;
  /** the first job has ended (or none was started): the library answers from a complete index */
  private firstEnded = false;
  private readonly abort = new AbortController();

  constructor(
    readonly store: VectorStore,
    readonly roots: LibraryRoots,
    readonly encoder: Encoder,
    private readonly opts: { model?: string; dbPath?: string; safety?: SafetyGate } = {},
  ) {}

  /** the image safety check applied to every image this library indexes (default: flag, as `vlm index`) */
  get safety(): SafetyGate {
    return (this.opts.safety ??= new SafetyGate());
  }

  /** Starts indexing the folders (already checked to be inside the roots), or returns the job already running. */
  index(folders: string[]): IndexJob {
    if (this.job?.running) return this.job;
    const shown = folders.map((f) => this.roots.display(f) || '.');
    const job = new IndexJob(shown, 0, async (j) => {
      const t0 = Date.now();
      const before = await this.store.count();
      j.update({ images: before, imagesBefore: before });
      // the indexer has no progress callback: count what it has committed (it commits every few images)
      const poll = setInterval(() => {
        this.store.count().then((n) => j.update({ images: n, seconds: (Date.now() - t0) / 1000 }), () => undefined);
      }, 500);
      poll.unref();
      try {
        let found = 0;
        for (const f of folders) found += (await walkImages(f, { exclude: this.exclude() })).files.length;
        j.update({ found });
        const safety = await this.safety.forIndexing();
        const out: IndexSummary[] = [];
        for (const root of folders) {
          const r: IndexReport = await indexLibrary({
            root, store: this.store, encoder: this.encoder, model: this.opts.model, quiet: true,
            commitEvery: 8, commitSeconds: 2, exclude: this.exclude(), signal: this.abort.signal, safety,
          });
          out.push({
            folder: this.roots.display(root) || '.',
            indexed: r.indexed, unchanged: r.unchanged, removed: r.removed, images: r.images, seconds: r.seconds, interrupted: r.interrupted, safety: this.safety.policy,
            skipped: r.skipped.map((s) => ({ path: this.roots.display(s.path), reason: s.reason.replaceAll(s.path, this.roots.display(s.path)) })),
          });
        }
        j.update({ images: await this.store.count(), seconds: (Date.now() - t0) / 1000 });
        return out;
      } finally {
        clearInterval(poll);
      }
    });
    job.on('failed', () => undefined); // followers report it; an unfollowed failure must not crash the process
    void job.finished.then(() => (this.firstEnded = true));
    this.job = job;
    return job;
  }

  get ready(): boolean {
    return this.job === undefined || this.firstEnded;
  }

  /** Stops a running job after its current batch (server shutdown). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.job?.finished;
    this.opts.safety?.dispose();
  }

  async item(id: string): Promise<VectorItem> {
    const [item] = await this.store.get([id]);
    if (!item) throw notFound(`no image with id ${id} in the library`);
    return item;
  }

  /** The first copy of an image that lies inside the roots and still exists (real path), else 404/403. */
  async file(item: VectorItem): Promise<string> {
    const paths = pathsOf(item.metadata);
    for (const p of paths) {
      const real = await this.roots.allowed(p);
      if (real) return real;
    }
    throw paths.length ? new HttpError(403, `image ${item.id} is not inside the library folders (or was moved): re-index`) : notFound(`image ${item.id} has no file`);
  }

  private exclude(): string[] {
    return this.opts.dbPath ? [this.opts.dbPath] : [];
  }
}
