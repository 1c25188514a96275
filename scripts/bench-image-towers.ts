/**
 * Throughput and memory of each image tower on this machine (one wasm thread):
 *   node dist/scripts/bench-image-towers.js [--towers a,b] [--batches 16,32] [--iters 3]
 * Features of all taps are computed (as the cache script does); the input is random, decoding is not timed.
 */
import { parseArgs } from 'node:util';
import { loadImageTower, TOWER_NAMES, type TowerName } from '../src/model/image-tower.js';
import { tf } from '../src/model/tf.js';

const { values } = parseArgs({ options: { towers: { type: 'string' }, batches: { type: 'string', default: '16,32' }, iters: { type: 'string', default: '3' } } });
const towers = (values.towers?.split(',') ?? TOWER_NAMES) as TowerName[];
const batches = values.batches.split(',').map(Number);
const iters = Number(values.iters);
const mb = (n: number) => Math.round(n / 2 ** 20);

for (const name of towers) {
  const t0 = performance.now();
  const tower = await loadImageTower(name);
  const loadMs = performance.now() - t0;
  const taps = Object.keys(tower.endpoints).flatMap((e) => [`${e}_gap`, `${e}_gmp`]).concat('final_map');
  for (const b of batches) {
    const x = tf.randomUniform([b, tower.inputSize, tower.inputSize, 3]) as tf.Tensor4D;
    await tower.features(x, taps); // warm-up: kernel setup and sub-model build
    const t = performance.now();
    for (let i = 0; i < iters; i++) await tower.features(x, taps);
    const s = (performance.now() - t) / 1000;
    x.dispose();
    const wasmBytes = tf.memory().numBytes;
    console.log(JSON.stringify({ tower: name, batch: b, loadMs: Math.round(loadMs), imagesPerSec: +((b * iters) / s).toFixed(2), rssMB: mb(process.memoryUsage().rss), tfMB: mb(wasmBytes) }));
  }
  tower.dispose();
}
