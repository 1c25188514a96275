/**
 * Choosing the dense heatmap's settings on a dev set: the per-scale maps of each composite are computed once,
 * then every combination of scales, smoothing and surgery on/off is scored by the pointing game.
 */
import { dot } from '../encoders/encoder.js';
import type { DenseExplainer } from '../apps/explain/dense.js';
import { surgery } from '../apps/explain/dense.js';
import { heatmap, resample, smooth, type Heatmap } from '../apps/explain/heatmap.js';
import { pointingHit, type Composite } from './explain-pointing.js';

export interface ScaleMaps {
  /** "side:pool" -> map with the shared component removed, and the raw cosine map */
  surgery: Map<string, Heatmap>;
  raw: Map<string, Heatmap>;
}

export async function scaleMaps(dense: DenseExplainer, image: Composite['image'], text: Float32Array, sides: number[], pools: number[] = [1]): Promise<ScaleMaps> {
  const out: ScaleMaps = { surgery: new Map(), raw: new Map() };
  for (const s of sides) {
    for (const p of pools) {
      const g = await dense.locationEmbeddings(image, s, p);
      out.raw.set(`${s}:${p}`, heatmap(g.rows, g.cols, g.embeddings.map((e) => dot(e, text))));
      out.surgery.set(`${s}:${p}`, heatmap(g.rows, g.cols, surgery(g.embeddings, text)));
    }
  }
  return out;
}

export interface DenseSetting {
  scales: number[];
  pool: number;
  smooth: number;
  surgery: boolean;
}

/** The map DenseExplainer.explain would give for these settings (same averaging on the finest grid). */
export function combine(m: ScaleMaps, s: DenseSetting): Heatmap {
  const src = s.surgery ? m.surgery : m.raw;
  const maps = s.scales.map((x) => src.get(`${x}:${s.pool}`)!);
  const n = Math.max(...maps.map((h) => h.rows));
  const avg = heatmap(n, n);
  for (const h of maps) {
    const v = resample(h, n, n).values;
    for (let i = 0; i < n * n; i++) avg.values[i] += v[i] / maps.length;
  }
  return s.smooth > 0 ? smooth(avg, s.smooth) : avg;
}

/** All non-empty subsets of the sides, with each pooling window and smoothing, with and without surgery. */
export function settingsGrid(sides: number[], smooths: number[], pools: number[] = [1]): DenseSetting[] {
  const out: DenseSetting[] = [];
  for (let mask = 1; mask < 1 << sides.length; mask++) {
    const scales = sides.filter((_, i) => mask & (1 << i));
    for (const pool of pools) for (const sm of smooths) for (const sg of [true, false]) out.push({ scales, pool, smooth: sm, surgery: sg });
  }
  return out;
}

/** Pointing-game hits of each setting over the composites (maps computed once per composite). */
export function scoreSettings(settings: DenseSetting[], items: { maps: ScaleMaps; comp: Composite }[]): number[] {
  return settings.map((s) => items.reduce((k, it) => k + Number(pointingHit(combine(it.maps, s), it.comp)), 0));
}

export interface TuneOptions {
  composites: number;
  seed: number;
  sides: number[];
  smooths: number[];
  /** pooling windows (cells) to try */
  pools: number[];
  text: string;
  /** called after every 20 composites and at the end with the table so far */
  report(table: Record<string, unknown>): void;
}

/**
 * Dense settings scored on composites of GTSRB *train* signs pasted on Flickr8k *dev* photos: neither the
 * photos nor the signs of the official pointing game (Flickr8k test, GTSRB test) are seen while choosing.
 */
export async function tuneDense(dense: DenseExplainer, opts: TuneOptions): Promise<void> {
  const { loadFlickr8k } = await import('../train/datasets/flickr8k.js');
  const { loadGtsrb } = await import('../train/datasets/gtsrb.js');
  const { decodeImage } = await import('../image/decode.js');
  const { randomComposite } = await import('./explain-pointing.js');
  const { createRng } = await import('../util/rng.js');
  const { wilson } = await import('./explain-stats.js');
  const dev = loadFlickr8k('dev', 'en');
  const signs = loadGtsrb().train;
  const rng = createRng(opts.seed);
  const [text] = dense.embedTexts([opts.text]);
  const settings = settingsGrid(opts.sides, opts.smooths, opts.pools);
  const items: { maps: ScaleMaps; comp: Composite }[] = [];
  const table = () => {
    const hits = scoreSettings(settings, items);
    const n = items.length;
    const rows = settings.map((s, i) => ({ ...s, hits: hits[i], accuracy: Math.round((hits[i] / n) * 1e4) / 1e4, ci95: wilson(hits[i], n).map((x) => Math.round(x * 1e4) / 1e4) }));
    rows.sort((a, b) => b.hits - a.hits || a.scales.length - b.scales.length || a.pool - b.pool || a.smooth - b.smooth);
    return {
      n, photos: 'Flickr8k dev', signs: 'GTSRB train', text: opts.text, seed: opts.seed, sides: opts.sides, smooths: opts.smooths, pools: opts.pools,
      note: 'pointing-game hits (tolerance 0) per dense setting; pool = features averaged over pool x pool locations before the head; smooth = Gaussian sigma in cells of the finest grid; ties: fewer scales, smaller pool, less smoothing first',
      best: rows.slice(0, 15),
      single_scale: rows.filter((r) => r.scales.length === 1 && r.smooth === 0),
      by_pool: opts.pools.map((pool) => rows.find((r) => r.pool === pool)),
    };
  };
  for (let k = 0; k < opts.composites; k++) {
    const photo = dev.imagePaths[Math.floor(rng() * dev.imagePaths.length)];
    const sign = signs[Math.floor(rng() * signs.length)];
    const comp = await randomComposite(await decodeImage(photo), sign.path, createRng(Math.floor(rng() * 2 ** 31)));
    items.push({ maps: await scaleMaps(dense, comp.image, text, opts.sides, opts.pools), comp });
    if (items.length % 20 === 0 || items.length === opts.composites) opts.report(table());
  }
}
