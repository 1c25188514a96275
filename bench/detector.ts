import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { detectorModelPath } from '../src/model/detector-paths.js';
import { repoRoot } from '../src/util/paths.js';
import { median, type Benchmark } from './harness.js';

type Run = Record<string, number | string | number[]> & { ms_per_image: number; cpu_ms_per_image: number; load_ms: number; import_ms: number; first_image_ms: number };

function worker(backend: string, threads: number, images: string[]): Run {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'bench', 'detector-worker.js'), backend, String(threads), ...images], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`detector-worker ${backend} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
}

/**
 * CenterNet (COCO detector) on onnxruntime vs tfjs-wasm, each in a fresh process: cold load, first image, then
 * steady images/s over the demo photos (decode + resize + network + NMS, what analyze() costs a caller).
 * onnxruntime runs bracket the tfjs run so a load change on the shared machine shows up as a spread.
 */
export const detectorBench: Benchmark = {
  name: 'detector',
  description: 'centernet detector: onnxruntime vs tfjs-wasm (cold load, first image, images/s)',
  async run(args) {
    const n = Number(args.find((a) => a.startsWith('--images='))?.split('=')[1] ?? 30);
    const demo = join(repoRoot, 'assets', 'demo');
    const images = readdirSync(demo).filter((f) => f.endsWith('.jpg')).sort().slice(0, n + 1).map((f) => join(demo, f));
    // The first worker converts the graph if the cache lacks it: time that separately, then measure warm-cache loads.
    const tExport = performance.now();
    const { centernetOnnxBytes } = await import('../src/model/detector-onnx.js');
    await centernetOnnxBytes(detectorModelPath('centernet'));
    const exportOrReadMs = performance.now() - tExport;
    const load0 = loadavg()[0];
    const ort1 = worker('onnxruntime', 1, images);
    const tfjs = worker('tfjs', 1, images);
    const ort2 = worker('onnxruntime', 1, images);
    const ortAll = worker('onnxruntime', 0, images);
    const ortMs = median([ort1.ms_per_image, ort2.ms_per_image]);
    const ortCpu = median([ort1.cpu_ms_per_image, ort2.cpu_ms_per_image]);
    return {
      images: images.length - 1,
      load_average_before: +load0.toFixed(2),
      load_average_after: +loadavg()[0].toFixed(2),
      onnx_export_or_read_ms: exportOrReadMs,
      onnxruntime_1thread: [ort1, ort2],
      tfjs_wasm: tfjs,
      onnxruntime_all_cores: ortAll,
      speedup_wall: tfjs.ms_per_image / ortMs,
      speedup_cpu: tfjs.cpu_ms_per_image / ortCpu,
      cold_load_ms: { onnxruntime: median([ort1.import_ms + ort1.load_ms, ort2.import_ms + ort2.load_ms]), tfjs: tfjs.import_ms + tfjs.load_ms },
      first_image_ms: { onnxruntime: median([ort1.first_image_ms, ort2.first_image_ms]), tfjs: tfjs.first_image_ms },
    };
  },
};
