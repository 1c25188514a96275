import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCaptioner, type CaptionOptions } from '../src/apps/caption/captioner.js';
import { repoRoot, resolveModelDir } from '../src/util/paths.js';
import { median, type Benchmark } from './harness.js';

/**
 * Time per caption, one image per call as `vlm caption` and POST /v1/caption run it, for each shipped model: the
 * model's default decoding (beam search, re-ranking with the caption memory) against the same without the memory
 * (the baseline) and against greedy decoding. Models, encoders and the memory are loaded and warmed up first.
 */
export const captionSpeed: Benchmark = {
  name: 'caption-speed',
  description: 'ms per caption (demo photos, one per call): default decoding with the caption memory vs without it vs greedy',
  async run() {
    const demo = join(repoRoot, 'assets', 'demo');
    const photos = readdirSync(demo).filter((f) => f.endsWith('.jpg')).slice(0, 20).map((f) => join(demo, f));
    const modes: Record<string, CaptionOptions> = { memory: {}, no_memory: { memory: false }, greedy: { beam: 1, rerank: false } };
    const models: Record<string, unknown> = {};
    for (const name of ['default', 'coco']) {
      const cap = await loadCaptioner(resolveModelDir(name));
      try {
        for (const o of Object.values(modes)) await cap.captionImages([photos[0]], o); // warm-up: sessions, encoder, memory
        const ms: Record<string, number> = {};
        for (const [mode, o] of Object.entries(modes)) {
          const times: number[] = [];
          for (const p of photos) {
            const t0 = performance.now();
            await cap.captionImages([p], o);
            times.push(performance.now() - t0);
          }
          ms[mode] = +median(times).toFixed(1);
        }
        models[name] = { median_ms: ms, memory_vs_no_memory: +(ms.memory / ms.no_memory).toFixed(2), memory_vs_greedy: +(ms.memory / ms.greedy).toFixed(2) };
      } finally {
        await cap.dispose();
      }
    }
    return { photos: photos.length, models };
  },
};
