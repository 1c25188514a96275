/**
 * Extract and cache frozen image-tower features for a whole dataset, original and mirrored.
 * Layout and reader: src/model/feature-cache.ts (readFeatureCache(tower, tap, { dataset, flip })).
 *
 *   node dist/scripts/cache-features.js --tower mobilenet_v2_mid [--dataset flickr8k|gtsrb|medpix]
 *       [--taps final_gap,b13_gmp,...] [--maps] [--no-flip] [--workers 2] [--batch 16] [--chunk 128]
 *       [--limit N] [--restart] [--backend onnx|tfjs] [--threads 2]
 *       [--crops N [--crops-only]] [--split train|dev|test]
 *   node dist/scripts/cache-features.js --list            endpoints and taps of every tower
 *
 * Default taps: gap and gmp of every endpoint, plus final_map (fp16) for mobilenet_v2_mid or with --maps.
 * Resumable: rows are computed in chunks, each stored as its own file; rerun the same command to continue.
 * --crops N adds variants crop0..crop<N-1>: random-resized crops (src/model/feature-cache-crops.ts; onnx backend only),
 * --crops-only skips orig/flip (already cached). --split restricts Flickr8k to one split's images (e.g. crops for
 * training need the train split only). Variants whose chunks exist are not recomputed.
 * Backends: onnx (default; onnxruntime-node with --threads intra-op threads, ~4x tfjs per core; exports the tower
 * to ONNX on first use) or tfjs (--workers worker threads, each a single-threaded wasm backend). Both agree to ~1e-5.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { openChunkedFeatureWriter, featureDir, type ChunkedFeatureWriter, type FeatureDataset, type FeatureVariant } from '../src/model/feature-cache.js';
import { cropBox, cropRgb, cropVariant } from '../src/model/feature-cache-crops.js';
import { decodeImage } from '../src/image/decode.js';
import { preprocessBatch } from '../src/image/preprocess.js';
import { parseTowerId, TOWER_ENDPOINTS, TOWER_NAMES, towerPreprocessSpec, type TowerId } from '../src/model/image-tower.js';
import { flipNhwc, loadOnnxImageTower } from '../src/model/image-tower-onnx.js';
import { loadFlickr8k, type Flickr8kSplit } from '../src/train/datasets/flickr8k.js';
import { loadGtsrb } from '../src/train/datasets/gtsrb.js';
import { loadMedpix } from '../src/train/datasets/medpix.js';
import { requireDataset } from '../src/train/datasets/require-dataset.js';
import { UsageError } from '../src/util/errors.js';
import { log } from '../src/util/log.js';
import { progress } from '../src/util/progress.js';
import type { Job, Reply, WorkerInit } from './cache-features-worker.js';

const { values } = parseArgs({
  options: {
    tower: { type: 'string' },
    dataset: { type: 'string', default: 'flickr8k' },
    taps: { type: 'string' },
    maps: { type: 'boolean', default: false },
    'no-flip': { type: 'boolean', default: false },
    workers: { type: 'string', default: '2' },
    batch: { type: 'string', default: '16' },
    chunk: { type: 'string', default: '128' },
    limit: { type: 'string' },
    restart: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'onnx' },
    threads: { type: 'string', default: '2' },
    crops: { type: 'string', default: '0' },
    'crops-only': { type: 'boolean', default: false },
    split: { type: 'string' },
  },
});

if (values.list) {
  for (const t of TOWER_NAMES) {
    for (const [e, ep] of Object.entries(TOWER_ENDPOINTS[t])) console.log(`${t}\t${e}\t[${ep.shape.join(',')}]\t${ep.note}\t${ep.node}`);
  }
  process.exit(0);
}
if (!values.tower) throw new UsageError('cache-features: --tower is required (e.g. --tower mobilenet_v2_mid); --list shows the towers');
const towerId = values.tower as TowerId;
const { name } = parseTowerId(towerId);
const dataset = values.dataset as FeatureDataset;
const flip = !values['no-flip'];
const endpoints = Object.keys(TOWER_ENDPOINTS[name]);
const taps = values.taps?.split(',') ?? [
  ...endpoints.flatMap((e) => [`${e}_gap`, `${e}_gmp`]),
  ...(values.maps || name === 'mobilenet_v2_mid' ? ['final_map'] : []),
];
const nWorkers = Math.max(1, Number(values.workers));
const batch = Math.max(1, Number(values.batch));
const chunk = Math.max(1, Number(values.chunk));
const backend = values.backend;
if (backend !== 'onnx' && backend !== 'tfjs') throw new UsageError(`cache-features: --backend onnx or tfjs, not ${backend}`);
const nCrops = Number(values.crops);
if (!Number.isInteger(nCrops) || nCrops < 0) throw new UsageError(`cache-features: --crops takes a count (0, 1, 2, ...), not ${values.crops}`);
if (nCrops > 0 && backend !== 'onnx') throw new UsageError('cache-features: --crops needs --backend onnx');
if (values['crops-only'] && nCrops === 0) throw new UsageError('cache-features: --crops-only needs --crops N');
if (values.split && dataset !== 'flickr8k') throw new UsageError('cache-features: --split applies to --dataset flickr8k only');
// The orig/flip caches are read by every consumer for any split: keep them whole.
if (values.split && !values['crops-only']) throw new UsageError('cache-features: --split needs --crops-only (orig/flip caches hold every image)');

/** Image paths of a dataset; names are the paths relative to its folder (stable row keys). */
function datasetImages(ds: string): { dir: string; paths: string[] } {
  if (ds === 'flickr8k' && values.split) {
    const f = loadFlickr8k(values.split as Flickr8kSplit, 'en');
    const dir = requireDataset('flickr8k', 'Flickr8k');
    // Sorted by name like the full cache, so rows of a split cache are in the same relative order.
    return { dir: join(dir, 'images'), paths: [...f.imagePaths].sort() };
  }
  if (ds === 'flickr8k') {
    const dir = requireDataset('flickr8k', 'Flickr8k');
    // All 8,091 images (the splits cover 8,000), sorted by name so the row order is stable.
    const files = readdirSync(join(dir, 'images')).filter((f) => f.endsWith('.jpg')).sort();
    return { dir: join(dir, 'images'), paths: files.map((f) => join(dir, 'images', f)) };
  }
  if (ds === 'gtsrb') {
    const dir = requireDataset('gtsrb', 'GTSRB');
    const g = loadGtsrb();
    return { dir, paths: [...g.train, ...g.test].map((x) => x.path) };
  }
  if (ds === 'medpix') {
    const dir = requireDataset('medpix', 'MedPix');
    return { dir: join(dir, 'images'), paths: loadMedpix().map((r) => r.path) };
  }
  throw new UsageError(`cache-features: unknown --dataset ${ds}; use flickr8k, gtsrb or medpix`);
}

const { dir, paths: allPaths } = datasetImages(dataset);
const paths = values.limit ? allPaths.slice(0, Number(values.limit)) : allPaths;
const names = paths.map((p) => relative(dir, p));
const variants: FeatureVariant[] = [
  ...(values['crops-only'] ? [] : flip ? (['orig', 'flip'] as const) : (['orig'] as const)),
  ...Array.from({ length: nCrops }, (_, k) => cropVariant(k)),
];

const writers = new Map<string, ChunkedFeatureWriter>();
for (const tap of taps) {
  const ep = TOWER_ENDPOINTS[name][tap.slice(0, tap.lastIndexOf('_'))];
  if (!ep) throw new UsageError(`cache-features: ${name} has no tap ${tap}; --list shows the endpoints`);
  const isMap = tap.endsWith('_map');
  for (const v of variants) {
    const spec = {
      tower: towerId,
      tap,
      dataset,
      variant: v,
      dtype: isMap ? ('f16' as const) : ('f32' as const),
      shape: isMap ? [...ep.shape] : [ep.shape[2]],
      meta: { tool: 'scripts/cache-features.ts', node: ep.node, limit: values.limit ?? null, split: values.split ?? null },
    };
    writers.set(`${tap}|${v}`, openChunkedFeatureWriter(spec, names, { restart: values.restart }));
  }
}

/** Variants a chunk still lacks (a variant is computed for all its taps at once). */
const needed = (first: number): FeatureVariant[] => variants.filter((v) => taps.some((t) => !writers.get(`${t}|${v}`)!.hasChunk(first)));
const jobs: Job[] = [];
for (let first = 0; first < paths.length; first += chunk) {
  if (needed(first).length === 0) continue;
  jobs.push({ first, paths: paths.slice(first, first + chunk) });
}
const todo = jobs.reduce((a, j) => a + j.paths.length, 0);
log(
  `cache-features: ${towerId} on ${dataset}: ${paths.length} images, ${todo} to do, taps ${taps.join(',')}, ` +
    `${variants.join('+')}, ${backend === 'onnx' ? `onnx x ${values.threads} threads` : `${nWorkers} tfjs workers`}, batch ${batch} ` +
    `-> ${featureDir(towerId, '<tap>')}`,
);

const start = Date.now();
let done = 0;
let lastLog = 0;
const bar = progress(`features ${towerId}/${dataset}`, todo);

function report(force = false): void {
  const secs = (Date.now() - start) / 1000;
  if (!force && secs - lastLog < 30) return;
  lastLog = secs;
  const rate = done / Math.max(secs, 1e-9);
  const eta = rate > 0 ? (todo - done) / rate : Infinity;
  log(`  ${done}/${todo} images  ${rate.toFixed(2)} img/s (x${variants.length} passes)  elapsed ${(secs / 60).toFixed(1)} min  ETA ${(eta / 60).toFixed(1)} min`);
}

async function runWorker(id: number): Promise<void> {
  const init: WorkerInit = { tower: towerId, taps, flip, batch };
  const worker = new Worker(new URL('./cache-features-worker.js', import.meta.url), { workerData: init });
  await new Promise<void>((resolve, reject) => {
    const next = () => {
      const job = jobs.shift();
      worker.postMessage(job ?? null);
      if (!job) resolve();
    };
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${id} exited with code ${code}`))));
    worker.on('message', (msg: Reply) => {
      if (msg.type === 'ready') {
        log(`  worker ${id}: tower loaded in ${msg.loadMs.toFixed(0)} ms`);
      } else if (msg.type === 'error') {
        reject(new Error(`worker ${id}, rows from ${msg.first}: ${msg.message}`));
        return;
      } else {
        store(msg.first, msg.count, msg.out);
      }
      next();
    });
  });
}

function store(first: number, count: number, out: Record<string, Float32Array>): void {
  for (const [key, rows] of Object.entries(out)) writers.get(key)!.writeChunk(first, rows);
  done += count;
  bar.tick(count);
  report();
}

/** onnxruntime in this thread; decoding the next batch (libvips threads) overlaps the current forward pass. */
async function runOnnx(): Promise<void> {
  const t0 = performance.now();
  const tower = await loadOnnxImageTower(towerId, taps, { threads: Math.max(1, Number(values.threads)) });
  log(`  onnx tower ready in ${(performance.now() - t0).toFixed(0)} ms`);
  const spec = towerPreprocessSpec(towerId);
  const s = tower.inputSize;
  const batches = jobs.flatMap((job) => {
    const list = [];
    const need = needed(job.first);
    for (let b = 0; b < job.paths.length; b += batch) list.push({ job, need, offset: b, paths: job.paths.slice(b, b + batch) });
    return list;
  });
  /** Tower inputs of one batch per variant: orig/flip from the file, crop views cut from one full decode. */
  const prepare = async (bp: string[], need: FeatureVariant[]): Promise<Map<FeatureVariant, Float32Array>> => {
    const px = new Map<FeatureVariant, Float32Array>();
    if (need.includes('orig') || need.includes('flip')) {
      const pixels = await preprocessBatch(bp, spec);
      if (need.includes('orig')) px.set('orig', pixels);
      if (need.includes('flip')) px.set('flip', flipNhwc(pixels, bp.length, s, s));
    }
    const cropViews = need.filter((v) => v.startsWith('crop'));
    if (cropViews.length) {
      const full = await Promise.all(bp.map((p) => decodeImage(p)));
      for (const v of cropViews) {
        const k = Number(v.slice(4));
        const crops = full.map((img, j) => cropRgb(img, cropBox(relative(dir, bp[j]), k, img.width, img.height)));
        px.set(v, await preprocessBatch(crops, spec));
      }
    }
    return px;
  };
  let out: Record<string, Float32Array> = {};
  let next = batches.length ? prepare(batches[0].paths, batches[0].need) : undefined;
  for (let i = 0; i < batches.length; i++) {
    const { job, need, offset, paths: bp } = batches[i];
    const px = await next!;
    next = i + 1 < batches.length ? prepare(batches[i + 1].paths, batches[i + 1].need) : undefined;
    if (offset === 0) {
      out = {};
      for (const tap of taps) for (const v of need) out[`${tap}|${v}`] = new Float32Array(job.paths.length * tower.tapDim(tap));
    }
    for (const v of need) {
      const feats = await tower.features(px.get(v)!, bp.length);
      for (const tap of taps) feats[tap].forEach((row, j) => out[`${tap}|${v}`].set(row, (offset + j) * tower.tapDim(tap)));
    }
    if (offset + bp.length === job.paths.length) store(job.first, job.paths.length, out);
  }
  await tower.dispose();
}

try {
  if (backend === 'onnx') await runOnnx();
  else await Promise.all(Array.from({ length: Math.min(nWorkers, Math.max(1, jobs.length)) }, (_, i) => runWorker(i)));
} finally {
  bar.stop();
}
report(true);
for (const w of writers.values()) w.finish();
const secs = (Date.now() - start) / 1000;
log(`cache-features: done ${towerId}/${dataset}: ${todo} images in ${(secs / 60).toFixed(1)} min (${(todo / Math.max(secs, 1e-9)).toFixed(2)} img/s, ${variants.length} passes each)`);
