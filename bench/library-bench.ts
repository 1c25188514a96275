/**
 * End-to-end `vlm index` throughput on Flickr8k test images next to the pure-encoder throughput of
 * the same model (issue goal: index >= 85% of encoder speed), and how busy the two cores were.
 *
 *   npm run bench -- library [--model DIR] [--images N] [--batch N]
 *
 * The encoder runs before and after the index run and its mean is the baseline, so a job that starts or stops
 * elsewhere on the machine during the bench does not bias the ratio one way.
 */
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { indexLibrary } from '../src/apps/library/indexer.js';
import { openLibraryForIndexing } from '../src/apps/library/library-db.js';
import { loadEncoder } from '../src/encoders/load.js';
import { embedImagesBatched } from '../src/eval/embed-batched.js';
import { loadFlickr8k } from '../src/train/datasets/flickr8k.js';
import { cacheDir, datasetDir, defaultModelDir } from '../src/util/paths.js';
import type { Benchmark } from './harness.js';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Wall seconds and CPU seconds (user + system, all threads) of fn. */
async function measure<T>(fn: () => Promise<T>): Promise<{ result: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { result, wall, cpu: (c.user + c.system) / 1e6 };
}

/** Mean size of the stored WebP thumbnails (to watch the encoder settings). */
async function meanThumbnailBytes(db: string, root: string, dim: number): Promise<number> {
  const store = await openLibraryForIndexing(root, db, dim);
  try {
    let bytes = 0, n = 0;
    for await (const batch of store.scan({ withVectors: false })) {
      for (const item of batch) {
        const t = item.metadata.thumbnail;
        if (typeof t !== 'string') continue;
        bytes += Buffer.from(t.slice(t.indexOf(',') + 1), 'base64').length;
        n++;
      }
    }
    return n ? Math.round(bytes / n) : 0;
  } finally {
    await store.close();
  }
}

export const libraryBench: Benchmark = {
  name: 'library',
  description: 'vlm index on 1,000 Flickr8k test images vs the bare encoder on the same files',
  async run(args) {
    if (!datasetDir('flickr8k')) return { skipped: 'needs ../shared/data/flickr8k' };
    const modelDir = arg(args, '--model') ?? process.env.VLM_BENCH_MODEL ?? defaultModelDir;
    if (!existsSync(join(modelDir, 'config.json'))) return { skipped: `needs a model at ${modelDir} (pass --model DIR)` };
    const n = Number(arg(args, '--images') ?? 1000);
    const batch = Number(arg(args, '--batch') ?? 32);
    const data = loadFlickr8k('test', 'en');
    const paths = data.imagePaths.slice(0, n);

    // a folder of just these images (links: nothing copied)
    const work = cacheDir('bench', 'library');
    rmSync(work, { recursive: true, force: true });
    const root = join(work, 'images');
    mkdirSync(root, { recursive: true });
    for (const p of paths) symlinkSync(p, join(root, basename(p)));

    const encoder = await loadEncoder(modelDir);
    try {
      await encoder.embedImages(paths.slice(0, Math.min(8, n))); // load sessions / weights outside the timings
      const load = [loadavg()[0]];
      // encoder, index, encoder: other jobs on the machine come and go, and the encoder's mean brackets the index run
      const bareRuns = [await measure(() => embedImagesBatched(encoder, paths, { batchSize: batch, quiet: true }))];
      load.push(loadavg()[0]);
      const store = await openLibraryForIndexing(root, join(work, 'db'), encoder.dim);
      const indexed = await measure(() => indexLibrary({ root, store, encoder, batchSize: batch, quiet: true }));
      await store.close();
      load.push(loadavg()[0]);
      bareRuns.push(await measure(() => embedImagesBatched(encoder, paths, { batchSize: batch, quiet: true })));
      load.push(loadavg()[0]);
      const bare = { wall: (bareRuns[0].wall + bareRuns[1].wall) / 2, cpu: (bareRuns[0].cpu + bareRuns[1].cpu) / 2 };
      if (indexed.result.embedded !== n) throw new Error(`indexed ${indexed.result.embedded} of ${n} images: ${JSON.stringify(indexed.result.skipped.slice(0, 3))}`);
      const encoderRate = n / bare.wall;
      const indexRate = n / indexed.wall;
      return {
        model: encoder.id,
        images: n,
        batch,
        encoder_images_per_s: +encoderRate.toFixed(2),
        index_images_per_s: +indexRate.toFixed(2),
        ratio: +(indexRate / encoderRate).toFixed(3),
        goal_ratio: 0.85,
        meets_goal: indexRate / encoderRate >= 0.85,
        // CPU per image (all threads): under load from other jobs the wall ratio also depends on how the scheduler
        // shares the cores between runs with different thread counts, so this is the second view of the same cost
        encoder_cpu_ms_per_image: +((1000 * bare.cpu) / n).toFixed(2),
        index_cpu_ms_per_image: +((1000 * indexed.cpu) / n).toFixed(2),
        cpu_ratio: +(bare.cpu / indexed.cpu).toFixed(3),
        // CPU seconds per wall second: 2.0 = both cores busy the whole time
        encoder_cores_busy: +(bare.cpu / bare.wall).toFixed(2),
        index_cores_busy: +(indexed.cpu / indexed.wall).toFixed(2),
        cores: cpus().length,
        encoder_seconds: +bare.wall.toFixed(2),
        encoder_seconds_each: bareRuns.map((r) => +r.wall.toFixed(2)),
        index_seconds: +indexed.wall.toFixed(2),
        // 1-minute load average before and after each timed run (encoder, index, encoder); this process adds ~2
        loadavg_1m: load.map((l) => +l.toFixed(2)),
        thumbnail_bytes_mean: await meanThumbnailBytes(join(work, 'db'), root, encoder.dim),
      };
    } finally {
      await encoder.dispose();
      rmSync(work, { recursive: true, force: true });
    }
  },
};
