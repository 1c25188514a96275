/**
 * One feature-extraction worker of scripts/cache-features.ts: its own tfjs-wasm backend (single-threaded),
 * so N workers use N cores. Receives { first, paths } jobs, answers with one Float32Array per (tap, variant).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { preprocessBatch } from '../src/image/preprocess.js';
import { flipHorizontal, loadImageTower, type TowerId } from '../src/model/image-tower.js';
import { tf } from '../src/model/tf.js';

export interface WorkerInit {
  tower: TowerId;
  taps: string[];
  flip: boolean;
  batch: number;
}
export interface Job {
  first: number;
  paths: string[];
}
export type Reply =
  | { type: 'ready'; loadMs: number }
  | { type: 'done'; first: number; count: number; ms: number; out: Record<string, Float32Array> }
  | { type: 'error'; first: number; message: string };

const init = workerData as WorkerInit;
const port = parentPort!;
const t0 = performance.now();
const tower = await loadImageTower(init.tower);
const variants = init.flip ? ['orig', 'flip'] : ['orig'];
port.postMessage({ type: 'ready', loadMs: performance.now() - t0 } satisfies Reply);

async function run(job: Job): Promise<Reply> {
  const start = performance.now();
  const s = tower.inputSize;
  const n = job.paths.length;
  // Output key `${tap}|${variant}`: n rows of tapDim values.
  const out: Record<string, Float32Array> = {};
  for (const tap of init.taps) for (const v of variants) out[`${tap}|${v}`] = new Float32Array(n * tower.tapDim(tap));
  for (let b = 0; b < n; b += init.batch) {
    const paths = job.paths.slice(b, b + init.batch);
    const pixels = await preprocessBatch(paths, tower.preprocess);
    const x = tf.tensor4d(pixels, [paths.length, s, s, 3]);
    for (const v of variants) {
      const input = v === 'flip' ? flipHorizontal(x) : x;
      const feats = await tower.features(input, init.taps);
      if (input !== x) input.dispose();
      for (const tap of init.taps) {
        const dim = tower.tapDim(tap);
        feats[tap].forEach((row, i) => out[`${tap}|${v}`].set(row, (b + i) * dim));
      }
    }
    x.dispose();
  }
  return { type: 'done', first: job.first, count: n, ms: performance.now() - start, out };
}

port.on('message', (job: Job | null) => {
  if (job === null) {
    tower.dispose();
    port.close();
    return;
  }
  run(job).then(
    (reply) => port.postMessage(reply, reply.type === 'done' ? Object.values(reply.out).map((a) => a.buffer as ArrayBuffer) : []),
    (err: unknown) => port.postMessage({ type: 'error', first: job.first, message: err instanceof Error ? err.message : String(err) } satisfies Reply),
  );
});
