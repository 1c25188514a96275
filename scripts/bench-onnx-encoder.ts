/**
 * Speed of the onnx Encoder against transformers.js' own pipeline('image-feature-extraction') on the
 * same checkpoint folder and the same JPEG files, each in its own process (they bring different
 * onnxruntime-node builds), with the same thread count.
 *
 *   node dist/scripts/make-fixtures.js --base                 # a ViT-B/32-shaped CLIP folder, once
 *   node dist/scripts/bench-onnx-encoder.js [--model DIR] [--images N] [--threads T]
 *
 *     [--texts N]
 * Prints one JSON line per implementation and the ratios (> 1: vlm is faster / cheaper). Text speed of
 * the onnx Encoder too. On a busy machine trust cpu_ratio (CPU seconds per image) more than wall time.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, repoRoot } from '../src/util/paths.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const model = opt('--model', cacheDir('fixtures', 'clip-base'));
const count = Number(opt('--images', '48'));
const threads = Number(opt('--threads', '2'));
const BATCH = 16;

function images(): string[] {
  const dir = join(repoRoot, 'assets', 'demo');
  const all = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(dir, f));
  return Array.from({ length: count }, (_, i) => all[i % all.length]);
}

/** Images per wall-clock second, and CPU seconds (all threads) per image: the latter stays comparable on a busy machine. */
async function timeIt(run: (batch: string[]) => Promise<unknown>): Promise<{ imagesPerSecond: number; cpuSecondsPerImage: number }> {
  const paths = images();
  await run(paths.slice(0, 2)); // warm-up: session start, first allocation
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < paths.length; i += BATCH) await run(paths.slice(i, i + BATCH));
  const cpu = process.cpuUsage(c0);
  return { imagesPerSecond: paths.length / ((performance.now() - t0) / 1000), cpuSecondsPerImage: (cpu.user + cpu.system) / 1e6 / paths.length };
}

async function benchVlm(): Promise<Record<string, number>> {
  // imported here: its onnxruntime-node must not be in the transformers.js process (the two builds share the soname libonnxruntime.so.1)
  const { loadOnnxEncoder } = await import('../src/encoders/onnx/index.js');
  const enc = await loadOnnxEncoder(model, { threads });
  const img = await timeIt((b) => enc.embedImages(b));
  const captions = Array.from({ length: Number(opt('--texts', '64')) }, (_, i) => `a photo of ${i % 7} dogs playing with a red ball on the beach number ${i}`);
  await enc.embedTexts(captions.slice(0, 4));
  const t0 = performance.now();
  await enc.embedTexts(captions);
  const textsPerSecond = captions.length / ((performance.now() - t0) / 1000);
  await enc.dispose();
  return { ...img, textsPerSecond };
}

async function benchTransformers(): Promise<Record<string, number>> {
  // transformers.js v3 comes with @lancedb/lancedb; not a dependency of vlm itself
  const tf = (await import('@huggingface/transformers' as string)) as {
    env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
    pipeline: (task: string, model: string, opts: object) => Promise<(images: string[]) => Promise<unknown>>;
  };
  tf.env.allowRemoteModels = false;
  tf.env.allowLocalModels = true;
  tf.env.localModelPath = dirname(model) + '/';
  const extract = await tf.pipeline('image-feature-extraction', basename(model), {
    local_files_only: true,
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  return await timeIt((b) => extract(b));
}

const impl = opt('--impl', '');
if (impl) {
  const r = impl === 'vlm' ? await benchVlm() : await benchTransformers();
  console.log(JSON.stringify({ impl, model, images: count, threads, ...r }));
} else {
  const self = fileURLToPath(import.meta.url);
  const run = (which: string): Record<string, number> => {
    const out = execFileSync(process.execPath, [self, ...args, '--impl', which], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    console.log(out.trim());
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  };
  const v = run('vlm');
  const t = run('transformers');
  console.log(
    JSON.stringify({
      speed_ratio_vlm_over_transformersjs: +(v.imagesPerSecond / t.imagesPerSecond).toFixed(3),
      cpu_ratio_transformersjs_over_vlm: +(t.cpuSecondsPerImage / v.cpuSecondsPerImage).toFixed(3),
    }),
  );
}
