import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFixture } from '../scripts/fixtures/checkpoints.js';
import { cacheDir, repoRoot } from '../src/util/paths.js';
import type { Benchmark } from './harness.js';

const ROUNDS = 2;
const IMAGES = 48;
const THREADS = 2;

/** A CLIP folder with ViT-B/32 shapes and random weights (speed does not depend on the values), made once. */
function baseFixture(): string {
  const dir = cacheDir('fixtures', 'clip-base');
  if (!existsSync(join(dir, 'onnx', 'vision_model.onnx'))) {
    console.error(`writing a ViT-B/32-shaped CLIP checkpoint (random weights, ~1 GB) to ${dir}`);
    writeFixture('clip', dir, { size: 'base', variants: ['fp32'] });
  }
  return dir;
}

function worker(impl: string, model: string): { images_per_s: number; cpu_s_per_image: number } {
  const out = execFileSync(
    process.execPath,
    [join(repoRoot, 'dist', 'bench', 'transformersjs-worker.js'), '--impl', impl, '--model', model, '--images', String(IMAGES), '--threads', String(THREADS)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as { images_per_s: number; cpu_s_per_image: number };
}

/**
 * Issue 5: on the same ONNX checkpoint, vlm's onnx Encoder is not slower than transformers.js' own
 * pipeline('image-feature-extraction'). Same JPEG files (decode + preprocess + vision tower), same thread count,
 * each implementation in its own process, alternating rounds so machine load hits both alike (means over rounds).
 * `--model=DIR` measures another CLIP-layout folder (e.g. Xenova/clip-vit-base-patch32) instead of the fixture.
 */
export const onnxVsTransformersjs: Benchmark = {
  name: 'onnx-vs-transformersjs',
  description: 'onnx Encoder vs transformers.js image-feature-extraction on one CLIP checkpoint (images/s, CPU s/image)',
  async run(args) {
    const arg = args.find((a) => a.startsWith('--model='));
    const model = arg ? resolve(arg.slice('--model='.length)) : baseFixture();
    const runs: Record<'vlm' | 'transformers', { images_per_s: number; cpu_s_per_image: number }[]> = { vlm: [], transformers: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const impl of r % 2 === 0 ? (['vlm', 'transformers'] as const) : (['transformers', 'vlm'] as const)) runs[impl].push(worker(impl, model));
    }
    const m = (impl: 'vlm' | 'transformers', k: 'images_per_s' | 'cpu_s_per_image') => runs[impl].reduce((a, x) => a + x[k], 0) / ROUNDS;
    const speed = m('vlm', 'images_per_s') / m('transformers', 'images_per_s');
    const cpu = m('transformers', 'cpu_s_per_image') / m('vlm', 'cpu_s_per_image');
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as { _name_or_path?: string };
    const tjsVersion = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', '@huggingface', 'transformers', 'package.json'), 'utf8')) as { version: string }).version;
    return {
      // other work on the machine at the end of the run: wall-clock rates drop with it, CPU per item much less
      load_average_1m: +loadavg()[0].toFixed(2),
      model: model.startsWith(repoRoot) ? model.slice(repoRoot.length + 1) : model,
      checkpoint: config._name_or_path ?? null,
      variant: 'fp32',
      transformersjs_version: tjsVersion,
      images: IMAGES,
      image_source: 'assets/demo JPEGs (decode + preprocess + vision tower)',
      threads: THREADS,
      rounds: ROUNDS,
      vlm_images_per_s: +m('vlm', 'images_per_s').toFixed(2),
      transformersjs_images_per_s: +m('transformers', 'images_per_s').toFixed(2),
      vlm_cpu_s_per_image: +m('vlm', 'cpu_s_per_image').toFixed(4),
      transformersjs_cpu_s_per_image: +m('transformers', 'cpu_s_per_image').toFixed(4),
      speed_ratio_vlm_over_transformersjs: +speed.toFixed(3),
      cpu_ratio_transformersjs_over_vlm: +cpu.toFixed(3),
      goal: 'ratio >= 1 (vlm not slower)',
      meets_goal: speed >= 1 && cpu >= 1,
      runs,
    };
  },
};
