/**
 * Throughput and memory of each image tower on this machine:
 *   node dist/scripts/bench-image-towers.js [--towers a,b] [--batches 16,32] [--iters 3] [--backends tfjs,onnx] [--threads 1]
 * All taps the cache script stores are computed; the input is random (decoding is not timed).
 * Reports wall-clock images/s and images per CPU-second (process CPU time, all threads): the second number is
 * what the hardware gives when the machine is shared, the first what this run got.
 */
import { parseArgs } from 'node:util';
import { loadImageTower, TOWER_ENDPOINTS, TOWER_NAMES, type TowerName } from '../src/model/image-tower.js';
import { loadOnnxImageTower } from '../src/model/image-tower-onnx.js';
import { tf } from '../src/model/tf.js';

const { values } = parseArgs({
  options: {
    towers: { type: 'string' },
    batches: { type: 'string', default: '16,32' },
    iters: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'tfjs,onnx' },
    threads: { type: 'string', default: '1' },
  },
});
const towers = (values.towers?.split(',') ?? TOWER_NAMES) as TowerName[];
const batches = values.batches.split(',').map(Number);
const iters = Number(values.iters);
const mb = (n: number) => Math.round(n / 2 ** 20);

async function time(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await fn();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

for (const name of towers) {
  const taps = Object.keys(TOWER_ENDPOINTS[name]).flatMap((e) => [`${e}_gap`, `${e}_gmp`]).concat('final_map');
  for (const backend of values.backends.split(',')) {
    const t0 = performance.now();
    let run: (b: number, x: Float32Array) => Promise<unknown>;
    let dispose: () => unknown;
    let size: number;
    if (backend === 'tfjs') {
      const tower = await loadImageTower(name);
      size = tower.inputSize;
      run = async (b, x) => {
        const t = tf.tensor4d(x, [b, size, size, 3]);
        await tower.features(t, taps);
        t.dispose();
      };
      dispose = () => tower.dispose();
    } else {
      const tower = await loadOnnxImageTower(name, taps, { threads: Number(values.threads) });
      size = tower.inputSize;
      run = (b, x) => tower.features(x, b);
      dispose = () => tower.dispose();
    }
    const loadMs = Math.round(performance.now() - t0);
    for (const b of batches) {
      const x = Float32Array.from({ length: b * size * size * 3 }, () => Math.random());
      await run(b, x); // warm-up: kernel setup, sub-model build
      const { wall, cpu } = await time(() => run(b, x));
      console.log(
        JSON.stringify({
          tower: name,
          backend,
          threads: backend === 'onnx' ? Number(values.threads) : 1,
          batch: b,
          loadMs,
          imagesPerSec: +((b * iters) / wall).toFixed(2),
          imagesPerCpuSec: +((b * iters) / cpu).toFixed(2),
          rssMB: mb(process.memoryUsage().rss),
        }),
      );
    }
    await dispose();
  }
}
