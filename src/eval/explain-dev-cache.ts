/**
 * Dev composites for choosing the heatmap settings, with their expensive parts cached on disk: every location
 * embedding of the dense method at each (tower side, mirror pad) and occlusion maps for the pointing text. The
 * cheap choices (which scales, smoothing, surgery, text baseline, combining with occlusion) are then scored
 * from the cache (src/eval/explain-tune.ts) without running a network again.
 *
 * Composites: GTSRB *train* signs pasted on Flickr8k *dev* photos, so neither the photos nor the signs of the
 * official pointing game (Flickr8k test, GTSRB test) are seen while choosing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Encoder } from '../encoders/encoder.js';
import type { DenseExplainer } from '../apps/explain/dense.js';
import { heatmap, type Heatmap } from '../apps/explain/heatmap.js';
import { occlusionMap } from '../apps/explain/occlusion.js';
import { cropMap } from '../apps/explain/crops.js';
import type { Rect } from '../apps/explain/image-ops.js';
import { decodeImage } from '../image/decode.js';
import { loadFlickr8k } from '../train/datasets/flickr8k.js';
import { loadGtsrb } from '../train/datasets/gtsrb.js';
import { cacheDir } from '../util/paths.js';
import { createRng } from '../util/rng.js';
import { randomComposite, type Composite } from './explain-pointing.js';

/** A dense variant: the tower run at side x side px, the input mirrored `pad` px out on every side, or flipped. */
export interface DenseVariant { side: number; pad: number; flip?: boolean }
/** An occlusion variant: cells per side and patch side in cells. */
export interface OcclusionVariant { cells: number; patch: number }

/** A crop variant: cells per side and window side in cells. */
export interface CropVariant { cells: number; span: number }
export const cropKey = (v: CropVariant): string => `c${v.cells}x${v.span}`;
export const variantKey = (v: DenseVariant): string => `s${v.side}p${v.pad}${v.flip ? 'f' : ''}`;
export const occlusionKey = (v: OcclusionVariant): string => `o${v.cells}x${v.patch}`;

/** One cached dev composite. */
export interface DevItem {
  width: number;
  height: number;
  box: Rect;
  /** variantKey -> grid of L2-normalised location embeddings (rows * cols * dim, row-major) */
  grids: Map<string, { rows: number; cols: number; dim: number; emb: Float32Array }>;
  /** occlusionKey -> similarity-drop map for the pointing text */
  occlusion: Map<string, Heatmap>;
  /** cropKey -> crop-similarity map for the pointing text */
  crops: Map<string, Heatmap>;
}

/** The seeded dev composites (the same draw as earlier sessions' tuning for the same seed). */
export async function* devComposites(n: number, seed: number): AsyncGenerator<Composite> {
  const dev = loadFlickr8k('dev', 'en');
  const signs = loadGtsrb().train;
  const rng = createRng(seed);
  for (let k = 0; k < n; k++) {
    const photo = dev.imagePaths[Math.floor(rng() * dev.imagePaths.length)];
    const sign = signs[Math.floor(rng() * signs.length)];
    yield randomComposite(await decodeImage(photo), sign.path, createRng(Math.floor(rng() * 2 ** 31)));
  }
}

export function devCacheDir(modelId: string, seed: number): string {
  return cacheDir('explain-dev', modelId.replace(/[^\w.@-]/g, '_'), `seed${seed}`);
}

/**
 * Computes what is missing in the cache for composites 0..n-1 (a stopped run resumes where it stopped).
 * `onItem` is called after each composite.
 */
export async function fillDevCache(dense: DenseExplainer, encoder: Encoder, opts: {
  modelId: string; n: number; seed: number; text: string; variants: DenseVariant[]; occlusion: OcclusionVariant[]; crops?: CropVariant[]; onItem?: (k: number) => void;
}): Promise<void> {
  const dir = devCacheDir(opts.modelId, opts.seed);
  mkdirSync(dir, { recursive: true });
  const [t] = await encoder.embedTexts([opts.text]);
  let k = 0;
  for await (const comp of devComposites(opts.n, opts.seed)) {
    const meta = join(dir, `${k}.json`);
    const m = existsSync(meta) ? JSON.parse(readFileSync(meta, 'utf8')) : { width: comp.image.width, height: comp.image.height, box: comp.box, grids: {}, occlusion: {} };
    m.crops ??= {};
    for (const v of opts.variants) {
      const key = variantKey(v);
      if (m.grids[key]) continue;
      const g = await dense.locationEmbeddings(comp.image, v.side, 1, v.pad, v.flip);
      const dim = g.embeddings[0].length;
      const emb = new Float32Array(g.rows * g.cols * dim);
      g.embeddings.forEach((e, i) => emb.set(e, i * dim));
      writeFileSync(join(dir, `${k}.${key}.f32`), emb);
      m.grids[key] = { rows: g.rows, cols: g.cols, dim };
      writeFileSync(meta, JSON.stringify(m));
    }
    for (const v of opts.occlusion) {
      const key = occlusionKey(v);
      if (m.occlusion[key]) continue;
      const o = await occlusionMap(encoder, comp.image, t, { cells: v.cells, patch: v.patch });
      m.occlusion[key] = Array.from(o.map.values);
      writeFileSync(meta, JSON.stringify(m));
    }
    for (const v of opts.crops ?? []) {
      const key = cropKey(v);
      if (m.crops[key]) continue;
      m.crops[key] = Array.from((await cropMap(encoder, comp.image, t, { cells: v.cells, span: v.span })).map.values);
      writeFileSync(meta, JSON.stringify(m));
    }
    opts.onItem?.(k);
    k++;
  }
}

/** Composite k from the cache (only the variants that were computed). */
export function loadDevItem(modelId: string, seed: number, k: number): DevItem | undefined {
  const dir = devCacheDir(modelId, seed);
  const meta = join(dir, `${k}.json`);
  if (!existsSync(meta)) return undefined;
  const m = JSON.parse(readFileSync(meta, 'utf8'));
  const grids: DevItem['grids'] = new Map();
  for (const [key, g] of Object.entries(m.grids as Record<string, { rows: number; cols: number; dim: number }>)) {
    const b = readFileSync(join(dir, `${k}.${key}.f32`));
    grids.set(key, { ...g, emb: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4) });
  }
  const square = (o: Record<string, number[]> = {}) => new Map(Object.entries(o).map(([key, v]) => {
    const cells = Math.round(Math.sqrt(v.length));
    return [key, heatmap(cells, cells, v)];
  }));
  return { width: m.width, height: m.height, box: m.box, grids, occlusion: square(m.occlusion), crops: square(m.crops) };
}
