/**
 * One side of bench/onnx-vs-transformersjs.ts, in its own process so each implementation gets a fresh onnxruntime
 * with its own thread pool:
 *   node dist/bench/transformersjs-worker.js --impl vlm|transformers --model DIR --images N --threads T
 * Prints one JSON line: images per wall-clock second and CPU seconds (all threads) per image.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { repoRoot } from '../src/util/paths.js';

const args = process.argv.slice(2);
const opt = (name: string): string => {
  const i = args.indexOf(name);
  if (i < 0 || !args[i + 1]) throw new Error(`missing ${name}`);
  return args[i + 1];
};
const impl = opt('--impl');
const model = opt('--model');
const count = Number(opt('--images'));
const threads = Number(opt('--threads'));
const BATCH = 16;

/** The demo JPEGs, repeated up to `count`: both sides decode and resize the same files. */
function images(): string[] {
  const dir = join(repoRoot, 'assets', 'demo');
  const all = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(dir, f));
  return Array.from({ length: count }, (_, i) => all[i % all.length]);
}

async function timeIt(run: (batch: string[]) => Promise<unknown>): Promise<{ images_per_s: number; cpu_s_per_image: number }> {
  const paths = images();
  await run(paths.slice(0, 2)); // warm-up: first run allocates and plans
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < paths.length; i += BATCH) await run(paths.slice(i, i + BATCH));
  const cpu = process.cpuUsage(c0);
  return { images_per_s: paths.length / ((performance.now() - t0) / 1000), cpu_s_per_image: (cpu.user + cpu.system) / 1e6 / paths.length };
}

async function vlm(): Promise<object> {
  const { loadOnnxEncoder } = await import('../src/encoders/onnx/index.js');
  const enc = await loadOnnxEncoder(model, { threads, variant: 'fp32' });
  const r = await timeIt((b) => enc.embedImages(b));
  await enc.dispose();
  return r;
}

async function transformers(): Promise<object> {
  const tjs = await import('@huggingface/transformers');
  // Local files only: nothing may be downloaded, and the folder is resolved as <localModelPath>/<name>.
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = dirname(model) + '/';
  const extract = await tjs.pipeline('image-feature-extraction', basename(model), {
    local_files_only: true,
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  return timeIt((b) => extract(b));
}

const result = impl === 'vlm' ? await vlm() : impl === 'transformers' ? await transformers() : undefined;
if (!result) throw new Error(`--impl must be vlm or transformers, got ${impl}`);
console.log(JSON.stringify({ impl, ...result }));
