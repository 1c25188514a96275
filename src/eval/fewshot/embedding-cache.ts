import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoder } from '../../encoders/encoder.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { cacheDir } from '../../util/paths.js';
import { log } from '../../util/log.js';
import { embedImagesBatched } from '../embed-batched.js';
import type { SetItem } from './datasets.js';

/**
 * Image embeddings of one dataset under one encoder, computed once and reused across shots, seeds and
 * methods. Kept in memory, and (unless disabled) on disk under
 * cacheDir('embeddings', <encoder id>, <dataset>.{json,bin}): the keys in the JSON, float32 rows in the .bin.
 * Only the images asked for are embedded (Fashion-MNIST support sets need a few hundred of 60,000).
 */
export class EmbeddingCache {
  private vectors = new Map<string, Float32Array>();
  private dirty = false;
  private readonly files: { index: string; bin: string } | null;

  constructor(private readonly encoder: Encoder, dataset: string, opts: { disk?: boolean } = {}) {
    if (opts.disk === false) {
      this.files = null;
      return;
    }
    const safe = encoder.id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
    const hash = createHash('sha256').update(encoder.id).digest('hex').slice(0, 10);
    const dir = cacheDir('embeddings', `${safe}-${hash}`);
    this.files = { index: join(dir, `${dataset}.json`), bin: join(dir, `${dataset}.bin`) };
    this.load();
  }

  private load(): void {
    if (!this.files || !existsSync(this.files.index) || !existsSync(this.files.bin)) return;
    try {
      const index = JSON.parse(readFileSync(this.files.index, 'utf8')) as { encoder: string; dim: number; keys: string[] };
      const buf = readFileSync(this.files.bin);
      if (index.encoder !== this.encoder.id || index.dim !== this.encoder.dim || buf.length !== index.keys.length * index.dim * 4) return;
      const all = new Float32Array(index.keys.length * index.dim);
      new Uint8Array(all.buffer).set(buf);
      index.keys.forEach((k, i) => this.vectors.set(k, all.subarray(i * index.dim, (i + 1) * index.dim)));
    } catch (err) {
      log(`vlm: ignoring a damaged embedding cache ${this.files.index}: ${(err as Error).message}`);
    }
  }

  get size(): number {
    return this.vectors.size;
  }

  /** Embeddings of the items (embedding those not cached yet), in item order. */
  async get(items: SetItem[], opts: { batchSize?: number; quiet?: boolean; label?: string } = {}): Promise<Float32Array[]> {
    const missing = [...new Map(items.filter((x) => !this.vectors.has(x.key)).map((x) => [x.key, x])).values()];
    // Chunks of 1,000, saved after each: an interrupted run resumes where it stopped.
    for (let i = 0; i < missing.length; i += 1000) {
      const chunk = missing.slice(i, i + 1000);
      const label = `${opts.label ?? 'images'} ${i + 1}-${i + chunk.length}/${missing.length}`;
      const vecs = await embedImagesBatched(this.encoder, chunk.map((x) => x.input()), { batchSize: opts.batchSize, quiet: opts.quiet, label });
      chunk.forEach((x, k) => this.vectors.set(x.key, vecs[k]));
      this.dirty = true;
      this.save();
    }
    return items.map((x) => this.vectors.get(x.key) as Float32Array);
  }

  /** Write the cache to disk (called after every batch of new embeddings, so an interrupted run keeps them). */
  save(): void {
    if (!this.files || !this.dirty) return;
    const keys = [...this.vectors.keys()];
    const dim = this.encoder.dim;
    const all = new Float32Array(keys.length * dim);
    keys.forEach((k, i) => all.set(this.vectors.get(k) as Float32Array, i * dim));
    writeFileAtomic(this.files.bin, new Uint8Array(all.buffer));
    writeFileAtomic(this.files.index, JSON.stringify({ encoder: this.encoder.id, dim, keys }) + '\n');
    this.dirty = false;
  }
}
