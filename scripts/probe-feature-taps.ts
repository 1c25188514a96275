/**
 * Which cached tower taps carry the most caption-relevant information? A cheap linear probe per tap:
 *
 * flickr8k: ridge regression from image features (train, orig + flip rows) to the TF-IDF bag of words of the image's
 *   captions; then dev retrieval between predicted and real caption vectors (R@1/5/10 both ways, 1,000 images x 5
 *   captions). Not the trained model's numbers, but a fair ranking of feature sets.
 * (GTSRB feature sets are compared by scripts/gtsrb-feature-study.ts, on tracks held out of TRAIN: an earlier
 * GTSRB mode here scored the test split and was removed.)
 *
 *   node dist/scripts/probe-feature-taps.js [--dataset flickr8k] [--towers a,b] [--taps x,y] [--lambda 1,10,100] [--json]
 * Taps without a complete cache are skipped. A tap "a+b" concatenates the (separately L2-normalised) taps a and b;
 * "a+tower2:b" takes b from another tower.
 */
import { parseArgs } from 'node:util';
import { hasFeatureCache, listFeatureCaches, readFeatureCache, selectRows } from '../src/model/feature-cache.js';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { loadFlickr8k } from '../src/train/datasets/flickr8k.js';
import { log } from '../src/util/log.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'flickr8k' },
    towers: { type: 'string' },
    taps: { type: 'string' },
    lambda: { type: 'string', default: '0.1,0.3,1' },
    json: { type: 'boolean', default: false },
    'min-count': { type: 'string', default: '5' },
  },
});

/** Rows L2-normalised, then centred with the mean of `ref` rows (train). */
function normalise(x: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(x);
  for (let r = 0; r < out.length / dim; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += out[r * dim + j] ** 2;
    const inv = 1 / Math.sqrt(s || 1);
    for (let j = 0; j < dim; j++) out[r * dim + j] *= inv;
  }
  return out;
}

function centre(x: Float32Array, dim: number, mean: Float32Array): void {
  for (let r = 0; r < x.length / dim; r++) for (let j = 0; j < dim; j++) x[r * dim + j] -= mean[j];
}

function colMean(x: Float32Array, dim: number): Float32Array {
  const m = new Float32Array(dim);
  const n = x.length / dim;
  for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) m[j] += x[r * dim + j] / n;
  return m;
}

/** (A + lambda I)^-1 for a symmetric positive definite A [d, d], via Cholesky A = L L^T and L^-1 (float64). */
async function ridgeInverse(a: Float32Array, d: number, lambda: number): Promise<Float32Array> {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j] + (i === j ? lambda : 0);
      for (let p = 0; p < j; p++) s -= L[i * d + p] * L[j * d + p];
      L[i * d + j] = i === j ? Math.sqrt(s) : s / L[j * d + j];
    }
  }
  // M = L^-1 (lower triangular), column by column.
  const M = new Float32Array(d * d);
  const col = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    col.fill(0);
    col[j] = 1 / L[j * d + j];
    for (let i = j + 1; i < d; i++) {
      let s = 0;
      for (let p = j; p < i; p++) s += L[i * d + p] * col[p];
      col[i] = -s / L[i * d + i];
    }
    for (let i = j; i < d; i++) M[i * d + j] = col[i];
  }
  return matmul(M, d, d, M, d, true); // M^T M = (L L^T)^-1
}

/** Dense matmul on onnxruntime (native GEMM, ~10x tfjs-wasm here): C = A B or A^T B, A [ar, ac], B [.., bc]. */
const gemm = await (async () => {
  const { onnx } = onnxProto;
  const f = onnx.TensorProto.DataType.FLOAT;
  const vi = (name: string, dims: string[]) => ({ name, type: { tensorType: { elemType: f, shape: { dim: dims.map((d) => ({ dimParam: d })) } } } });
  const make = async (transA: boolean) => {
    const node = transA
      ? [{ opType: 'Transpose', input: ['a'], output: ['at'], attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 0] }] }, { opType: 'MatMul', input: ['at', 'b'], output: ['c'] }]
      : [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }];
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: { name: 'gemm', node, input: [vi('a', ['m', 'k']), vi('b', ['k2', 'n'])], output: [vi('c', ['m2', 'n'])] },
    });
    return ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { intraOpNumThreads: 2 });
  };
  return { plain: await make(false), trans: await make(true) };
})();

async function matmul(a: Float32Array, ar: number, ac: number, b: Float32Array, bc: number, transA = false): Promise<Float32Array> {
  const res = await (transA ? gemm.trans : gemm.plain).run({
    a: new ort.Tensor('float32', a, [ar, ac]),
    b: new ort.Tensor('float32', b, [transA ? ar : ac, bc]),
  });
  return res.c.data as Float32Array;
}

const words = (s: string) => s.toLowerCase().match(/[a-z]+/g) ?? [];

interface Scores { t2i: number[]; i2t: number[] }

/** sim [nImg, nCap]; capImage[c] = image of caption c. */
function recall(sim: Float32Array, nImg: number, nCap: number, capImage: number[]): Scores {
  const ks = [1, 5, 10];
  const t2i = [0, 0, 0], i2t = [0, 0, 0];
  for (let c = 0; c < nCap; c++) {
    const own = sim[capImage[c] * nCap + c];
    let rank = 0;
    for (let i = 0; i < nImg; i++) if (sim[i * nCap + c] > own) rank++;
    ks.forEach((k, j) => (t2i[j] += rank < k ? 1 : 0));
  }
  for (let i = 0; i < nImg; i++) {
    let best = Infinity;
    for (let c = 0; c < nCap; c++) {
      if (capImage[c] !== i) continue;
      const own = sim[i * nCap + c];
      let rank = 0;
      for (let c2 = 0; c2 < nCap; c2++) if (sim[i * nCap + c2] > own) rank++;
      best = Math.min(best, rank);
    }
    ks.forEach((k, j) => (i2t[j] += best < k ? 1 : 0));
  }
  return { t2i: t2i.map((v) => +((100 * v) / nCap).toFixed(1)), i2t: i2t.map((v) => +((100 * v) / nImg).toFixed(1)) };
}

function l2rows(x: Float32Array, dim: number): Float32Array {
  return normalise(x, dim);
}

const towersWanted = values.towers?.split(',');
const tapsWanted = values.taps?.split(',');
const lambdas = values.lambda.split(',').map(Number);
/** Rows of `names` for a tap or a concatenation "a+b" (each part L2-normalised per row); undefined if not cached. */
function rows(tower: string, spec: string, names: string[], sel: { dataset?: string; flip?: boolean }): { dim: number; data: Float32Array } | undefined {
  // A part "other_tower:tap" takes that tap from another tower (cross-tower concatenation).
  const parts = spec.split('+').map((p) => (p.includes(':') ? p.split(':') : [tower, p]) as [string, string]);
  if (!parts.every(([tw, t]) => hasFeatureCache(tw, t, sel))) return undefined;
  const mats = parts.map(([tw, t]) => readFeatureCache(tw, t, sel)).map((m) => ({ dim: m.dim, data: normalise(selectRows(m, names), m.dim) }));
  if (mats.length === 1) return mats[0];
  const dim = mats.reduce((a, m) => a + m.dim, 0);
  const data = new Float32Array(names.length * dim);
  for (let r = 0; r < names.length; r++) {
    let off = r * dim;
    for (const m of mats) {
      data.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), off);
      off += m.dim;
    }
  }
  return { dim, data };
}

const concat = (tapsWanted ?? []).filter((t) => t.includes('+'));
const candidates = [...new Set(listFeatureCaches()
  .filter((c) => c.dataset === values.dataset && c.variant === 'orig' && c.dtype === 'f32')
  .filter((c) => (!towersWanted || towersWanted.includes(c.tower)) && (!tapsWanted || tapsWanted.includes(c.tap)))
  .map((c) => `${c.tower}/${c.tap}`)
  .concat(concat.flatMap((t) => [...new Set(listFeatureCaches().map((c) => c.tower))].filter((tw) => !towersWanted || towersWanted.includes(tw)).map((tw) => `${tw}/${t}`))))].sort();
const results: Record<string, unknown>[] = [];

if (values.dataset === 'flickr8k') {
  const train = loadFlickr8k('train', 'en'), dev = loadFlickr8k('dev', 'en');
  // TF-IDF vocabulary from train captions.
  const df = new Map<string, number>();
  for (const c of train.captions) for (const w of new Set(words(c.text))) df.set(w, (df.get(w) ?? 0) + 1);
  const vocab = [...df].filter(([, n]) => n >= Number(values['min-count'])).map(([w]) => w).sort();
  const vid = new Map(vocab.map((w, i) => [w, i]));
  const V = vocab.length;
  const idf = vocab.map((w) => Math.log(train.captions.length / df.get(w)!));
  const capVec = (text: string, out: Float32Array, off: number) => {
    for (const w of words(text)) {
      const i = vid.get(w);
      if (i !== undefined) out[off + i] += idf[i];
    }
    let s = 0;
    for (let i = 0; i < V; i++) s += out[off + i] ** 2;
    const inv = 1 / Math.sqrt(s || 1);
    for (let i = 0; i < V; i++) out[off + i] *= inv;
  };
  // Train targets: mean of the image's caption vectors.
  const yTrain = new Float32Array(train.images.length * V);
  const tmp = new Float32Array(V);
  for (const c of train.captions) {
    tmp.fill(0);
    capVec(c.text, tmp, 0);
    for (let i = 0; i < V; i++) yTrain[c.imageIndex * V + i] += tmp[i] / 5;
  }
  const yMean = colMean(yTrain, V);
  centre(yTrain, V, yMean);
  const capDev = new Float32Array(dev.captions.length * V);
  dev.captions.forEach((c, i) => capVec(c.text, capDev, i * V));
  const capImage = dev.captions.map((c) => c.imageIndex);
  log(`probe flickr8k: vocabulary ${V} words (train count >= ${values['min-count']}), ${candidates.length} taps`);

  for (const cand of candidates) {
    const [tower, tap] = cand.split('/');
    const t0 = Date.now();
    const orig = rows(tower, tap, train.images, {});
    if (!orig) continue;
    const flip = rows(tower, tap, train.images, { flip: true });
    const d = orig.dim;
    const parts = [orig.data];
    if (flip) parts.push(flip.data);
    const n = train.images.length * parts.length;
    const x = new Float32Array(n * d);
    parts.forEach((p, i) => x.set(p, i * p.length));
    const mean = colMean(x, d);
    centre(x, d, mean);
    const y = new Float32Array(n * V);
    for (let i = 0; i < parts.length; i++) y.set(yTrain, i * yTrain.length);
    const xtx = await matmul(x, n, d, x, d, true);
    const xty = await matmul(x, n, d, y, V, true);
    // Dev images: average of orig and flip features (cheap test-time augmentation) when both exist.
    let xDev = rows(tower, tap, dev.images, {})!.data;
    const fDev = flip ? rows(tower, tap, dev.images, { flip: true })!.data : undefined;
    if (fDev) xDev = xDev.map((v, i) => (v + fDev[i]) / 2);
    centre(xDev, d, mean);
    let best: Scores & { lambda: number } | undefined;
    // Scale lambda with the trace so one grid fits every feature size.
    let trace = 0;
    for (let i = 0; i < d; i++) trace += xtx[i * d + i];
    for (const lam of lambdas) {
      const w = await matmul(await ridgeInverse(xtx, d, (lam * trace) / d), d, d, xty, V);
      const pred = l2rows(await matmul(xDev, dev.images.length, d, w, V), V);
      const sim = await matmul(pred, dev.images.length, V, transpose(capDev, dev.captions.length, V), dev.captions.length);
      const s = recall(sim, dev.images.length, dev.captions.length, capImage);
      if (!best || sum(s) > sum(best)) best = { ...s, lambda: lam };
    }
    const row = { tower, tap, dim: d, flip: !!flip, ...best!, seconds: Math.round((Date.now() - t0) / 1000) };
    results.push(row);
    log(`  ${cand.padEnd(34)} d=${String(d).padEnd(5)} t2i R@1/5/10 ${best!.t2i.join('/')}  i2t ${best!.i2t.join('/')}  (lambda ${best!.lambda})`);
  }
} else {
  throw new Error(`--dataset ${values.dataset}: only flickr8k (GTSRB feature sets: scripts/gtsrb-feature-study.ts)`);
}
if (values.json) console.log(JSON.stringify(results, null, 1));

function transpose(x: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x[i * c + j];
  return out;
}

function sum(s: Scores): number {
  return [...s.t2i, ...s.i2t].reduce((a, b) => a + b, 0);
}
