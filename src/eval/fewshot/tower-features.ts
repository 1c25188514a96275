import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Encoder } from '../../encoders/encoder.js';
import { preprocessBatch } from '../../image/preprocess.js';
import { hasFeatureCache, readFeatureCache, type FeatureMatrix } from '../../model/feature-cache.js';
import { loadOnnxImageTower } from '../../model/image-tower-onnx.js';
import { towerPreprocessSpec, type TowerId } from '../../model/image-tower.js';
import { UsageError } from '../../util/errors.js';
import { defaultModelDir } from '../../util/paths.js';
import type { SetItem } from './datasets.js';
import { EmbeddingCache } from './embedding-cache.js';

/**
 * Few-shot features from the model's frozen image tower instead of its 256-d text-aligned embedding.
 * The projection into the shared space was trained for Flickr8k captions and throws away what captions
 * never mention (which traffic sign, which garment); the tower's pre-projection taps keep it. Zero-shot
 * still needs the embedding (the text side lives there); the learning methods may use either.
 *
 * A spec reads "embedding" or "tower:<tap>[+<tap>...]" (e.g. "tower:b13_gap"): taps of the tower the model's
 * config names. Rows come from the feature cache (scripts/cache-features.ts: GTSRB, MedPix) where it has
 * them, else the tower is run (onnxruntime) and the raw taps are kept under .cache/embeddings like embeddings.
 */
export type FeatureSpec =
  | { kind: 'embedding' }
  /** graphTaps: what the tower graph is built with (the model's own taps plus these, so its exported ONNX file is reused). */
  | { kind: 'tower'; tower: TowerId; taps: string[]; graphTaps: string[] };

export function parseFeatureSpec(spec: string | undefined, modelDir?: string): FeatureSpec {
  if (spec === undefined || spec === 'embedding') return { kind: 'embedding' };
  const m = /^tower:([A-Za-z0-9_]+(?:\+[A-Za-z0-9_]+)*)$/.exec(spec);
  if (!m) throw new UsageError(`--features must be "embedding" or "tower:<tap>[+<tap>]", e.g. tower:b13_gap (got "${spec}")`);
  const { tower, taps: own } = modelTower(modelDir);
  const taps = m[1].split('+');
  return { kind: 'tower', tower, taps, graphTaps: [...new Set([...own, ...taps])].sort() };
}

export function featureSpecName(f: FeatureSpec): string {
  return f.kind === 'embedding' ? 'embedding' : `tower:${f.taps.join('+')}`;
}

/** The frozen tower of one of our native models (config.json image.inputs); other models have none to offer. */
function modelTower(modelDir?: string): { tower: TowerId; taps: string[] } {
  const dir = resolve(modelDir ?? defaultModelDir);
  let towers: { tower: string; tap: string }[] = [];
  try {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { format?: string; image?: { inputs?: { source: string; tower?: string; tap?: string }[] } };
    if (config.format === 'vlm-dual-encoder') {
      towers = (config.image?.inputs ?? []).filter((i) => i.source === 'tower' && i.tower && i.tap).map((i) => ({ tower: i.tower as string, tap: i.tap as string }));
    }
  } catch {
    // not one of ours: handled below
  }
  if (!towers.length) throw new UsageError(`--features tower:... needs one of our own models (a frozen image tower in config.json); ${dir} has none: use --features embedding`);
  const tower = towers[0].tower as TowerId;
  return { tower, taps: towers.filter((t) => t.tower === tower).map((t) => t.tap) };
}

/** Power-normalise (sqrt of the non-negative ReLU outputs) and L2-normalise one tap's rows in place. */
function powerL2(rows: Float32Array[]): void {
  for (const r of rows) {
    let s = 0;
    for (let k = 0; k < r.length; k++) {
      r[k] = Math.sqrt(Math.max(0, r[k]));
      s += r[k] * r[k];
    }
    const inv = 1 / Math.sqrt(s || 1);
    for (let k = 0; k < r.length; k++) r[k] *= inv;
  }
}

/** Raw tap outputs of the tower for dataset items: from the feature cache where complete, else computed and cached. */
async function rawTap(tower: TowerId, graphTaps: string[], tap: string, dataset: string, items: SetItem[], opts: { batchSize?: number; quiet?: boolean; label?: string; disk?: boolean }): Promise<Float32Array[]> {
  // Feature caches name rows by the path inside the dataset folder (GTSRB "test/<file>", whose SetItem key is
  // "test/test/<file>"; MedPix the file name, as its keys).
  const cacheName = (key: string) => (dataset === 'gtsrb' ? key.replace(/^test\/test\//, 'test/') : key);
  if (hasFeatureCache(tower, tap, { dataset })) {
    const m: FeatureMatrix = readFeatureCache(tower, tap, { dataset });
    if (items.every((x) => m.rowOf(cacheName(x.key)) !== undefined)) return items.map((x) => Float32Array.from(m.row(cacheName(x.key)) as Float32Array));
  }
  const runner = await loadOnnxImageTower(tower, graphTaps, { threads: 0 });
  const spec = towerPreprocessSpec(tower);
  const pseudo: Encoder = {
    id: `tower:${tower}:${tap}`,
    dim: runner.tapDim(tap),
    async embedImages(inputs) {
      const pixels = await preprocessBatch(inputs, spec);
      return (await runner.features(pixels, inputs.length))[tap].map((r) => Float32Array.from(r));
    },
    async embedTexts() {
      throw new UsageError('a tower has no text side');
    },
    async dispose() {
      await runner.dispose();
    },
  };
  try {
    return await new EmbeddingCache(pseudo, dataset, { disk: opts.disk }).get(items, { batchSize: opts.batchSize, quiet: opts.quiet, label: `${opts.label ?? dataset} ${tap}` });
  } finally {
    await pseudo.dispose();
  }
}

/**
 * Tower features of train-pool and test items: per tap sqrt + L2, taps concatenated, centred on the mean of the
 * TRAIN POOL (unlabelled: ReLU features all share one large positive direction that swamps cosine similarity),
 * rows L2-normalised again. No test statistics are used.
 */
export async function towerFeatureRows(
  f: Extract<FeatureSpec, { kind: 'tower' }>, dataset: string, train: SetItem[], test: SetItem[],
  opts: { batchSize?: number; quiet?: boolean; label?: string; disk?: boolean } = {},
): Promise<{ train: Float32Array[]; test: Float32Array[]; dim: number }> {
  const parts = { train: [] as Float32Array[][], test: [] as Float32Array[][] };
  for (const tap of f.taps) {
    const tr = await rawTap(f.tower, f.graphTaps, tap, dataset, train, { ...opts, label: `${opts.label ?? dataset} train` });
    const te = await rawTap(f.tower, f.graphTaps, tap, dataset, test, { ...opts, label: `${opts.label ?? dataset} test` });
    powerL2(tr);
    powerL2(te);
    parts.train.push(tr);
    parts.test.push(te);
  }
  const dim = parts.train.reduce((a, p) => a + (p[0]?.length ?? 0), 0);
  const concat = (ps: Float32Array[][], n: number) => Array.from({ length: n }, (_, i) => {
    const out = new Float32Array(dim);
    let o = 0;
    for (const p of ps) {
      out.set(p[i], o);
      o += p[i].length;
    }
    return out;
  });
  const trainRows = concat(parts.train, train.length);
  const testRows = concat(parts.test, test.length);
  const mean = new Float64Array(dim);
  for (const r of trainRows) for (let k = 0; k < dim; k++) mean[k] += r[k] / trainRows.length;
  for (const r of [...trainRows, ...testRows]) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += (r[k] -= mean[k]) ** 2;
    const inv = 1 / Math.sqrt(s || 1);
    for (let k = 0; k < dim; k++) r[k] *= inv;
  }
  return { train: trainRows, test: testRows, dim };
}
