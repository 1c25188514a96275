import type { Encoder } from '../../encoders/encoder.js';
import {
  centreRows, loadTowerFeatureExtractor, meanRow, normaliseTowerRow, parseTowerFeatures, tapLayout, towerFeaturesName,
  type TowerFeatureExtractor, type TowerFeatureSpec,
} from '../../apps/classify/tower-features.js';
import { hasFeatureCache, readFeatureCache } from '../../model/feature-cache.js';
import { towerPreprocessSpec } from '../../model/image-tower.js';
import { UsageError } from '../../util/errors.js';
import type { SetItem } from './datasets.js';
import { EmbeddingCache } from './embedding-cache.js';

/**
 * What the few-shot methods of `vlm eval fewshot` fit on: the model's embedding, or taps of its frozen image tower
 * (src/apps/classify/tower-features.ts: the same features `vlm fewshot train --features` puts in an adapter).
 * Raw tap rows come from the feature cache (scripts/cache-features.ts: GTSRB, MedPix) where it has them all,
 * else the tower is run once for all taps (onnxruntime) and the rows are kept under .cache/embeddings.
 */
export type FeatureSpec = { kind: 'embedding' } | TowerFeatureSpec;

export function parseFeatureSpec(spec: string | undefined, modelDir?: string): FeatureSpec {
  return parseTowerFeatures(spec, modelDir) ?? { kind: 'embedding' };
}

export function featureSpecName(f: FeatureSpec): string {
  return f.kind === 'embedding' ? 'embedding' : towerFeaturesName(f);
}

type RowOpts = { batchSize?: number; quiet?: boolean; label?: string; disk?: boolean };

/** Raw rows from the precomputed feature cache, when every tap is a pooled one it holds for every item. */
function fromFeatureCache(f: TowerFeatureSpec, dataset: string, items: SetItem[]): Float32Array[] | null {
  // Feature caches name rows by the path inside the dataset folder (GTSRB "test/<file>", whose SetItem key is
  // "test/test/<file>"; MedPix the file name, as its keys).
  const cacheName = (key: string) => (dataset === 'gtsrb' ? key.replace(/^test\/test\//, 'test/') : key);
  const layouts = f.taps.map((t) => tapLayout(f.tower, t));
  if (f.size !== towerPreprocessSpec(f.tower).width || layouts.some((l) => l.grid !== 1 || !hasFeatureCache(f.tower, l.tap, { dataset }))) return null;
  const mats = layouts.map((l) => readFeatureCache(f.tower, l.tap, { dataset }));
  if (!items.every((x) => mats.every((m) => m.rowOf(cacheName(x.key)) !== undefined))) return null;
  const dim = mats.reduce((a, m) => a + m.dim, 0);
  return items.map((x) => {
    const row = new Float32Array(dim);
    let o = 0;
    for (const m of mats) {
      row.set(m.row(cacheName(x.key)) as Float32Array, o);
      o += m.dim;
    }
    return row;
  });
}

/** Raw rows of dataset items, computed by the tower (all taps in one pass) and cached on disk per spec. */
async function rawRows(f: TowerFeatureSpec, dataset: string, items: SetItem[], opts: RowOpts): Promise<Float32Array[]> {
  const cached = fromFeatureCache(f, dataset, items);
  if (cached) return cached;
  let extractor: TowerFeatureExtractor | null = null;
  const layouts = f.taps.map((t) => tapLayout(f.tower, t));
  // Loaded on first use only: a complete disk cache needs no tower.
  const pseudo: Encoder = {
    // The id of the single-tap caches an earlier version wrote ("tower:<tower>:<tap>") at the default size.
    id: `tower:${f.tower}:${f.size === towerPreprocessSpec(f.tower).width ? '' : `@${f.size}:`}${f.taps.join('+')}`,
    dim: layouts.reduce((a, l) => a + l.grid * l.grid * l.channels, 0),
    async embedImages(inputs) {
      extractor ??= await loadTowerFeatureExtractor(f);
      return extractor.raw(inputs);
    },
    async embedTexts() {
      throw new UsageError('a tower has no text side');
    },
    async dispose() {
      await extractor?.dispose();
    },
  };
  try {
    return await new EmbeddingCache(pseudo, dataset, { disk: opts.disk }).get(items, { batchSize: opts.batchSize ?? 32, quiet: opts.quiet, label: opts.label });
  } finally {
    await pseudo.dispose();
  }
}

/**
 * Tower features of train-pool and test items: normalised per tap (normaliseTowerRow), centred on the mean of the
 * TRAIN POOL (unlabelled), rows L2-normalised again. No test statistics are used.
 */
export async function towerFeatureRows(
  f: TowerFeatureSpec, dataset: string, train: SetItem[], test: SetItem[], opts: RowOpts = {},
): Promise<{ train: Float32Array[]; test: Float32Array[]; dim: number }> {
  const layouts = f.taps.map((t) => tapLayout(f.tower, t));
  const norm = (rows: Float32Array[]) => rows.map((r) => normaliseTowerRow(r, layouts));
  const trainRows = norm(await rawRows(f, dataset, train, { ...opts, label: `${opts.label ?? dataset} train ${f.taps.join('+')}` }));
  const testRows = norm(await rawRows(f, dataset, test, { ...opts, label: `${opts.label ?? dataset} test ${f.taps.join('+')}` }));
  const centre = meanRow(trainRows);
  centreRows(trainRows, centre);
  centreRows(testRows, centre);
  return { train: trainRows, test: testRows, dim: centre.length };
}
