/**
 * Dense similarity for our own dual encoder (models/default and anything trained by `vlm train`).
 * The frozen tower's spatial feature maps are pushed through the model's own image head one location at a
 * time, as if each location were a whole image, and each location's embedding is compared with the text.
 * The head consumes pooled taps (e.g. final_gap 7x7 and b13_gap 14x14): each tap's map is brought to the
 * finest grid among them (nearest neighbour, which keeps the pooled mean unchanged), so location (r, c)
 * gets exactly the inputs the head was trained on, taken at one place.
 *
 * Every location embedding shares a large common component (what the picture is as a whole, plus the head's
 * bias): as in CLIP Surgery, it is removed before comparing with the text, here by projecting each location
 * off the mean location direction, so the map shows what is specific to each region.
 */
import { dot, l2normalize } from '../../encoders/encoder.js';
import type { ImageInput } from '../../image/types.js';
import { loadVlmModel, type LoadedVlm } from '../../model/checkpoint.js';
import { openImageHead, type HeadRunner } from '../../model/head-runner.js';
import { parseTap, parseTowerId, TOWER_ENDPOINTS, type TowerId } from '../../model/image-tower.js';
import { readModelSource } from '../../model/model-source.js';
import { backendFromEnv } from '../../model/runtime-choice.js';
import { loadDetector, type Detector, type DetectorKind } from '../../model/detector.js';
import { detectorFeatureRow } from '../../model/detector-features.js';
import { UsageError } from '../../util/errors.js';
import { boxPool } from './box-pool.js';
import { heatmap, resample, smooth, zscore, type Heatmap } from './heatmap.js';
import { openMapTower, type MapTower, type SpatialMap } from './map-tower.js';

/**
 * Tower input sides the maps are computed at and averaged over, mirror views, pooling, padding and smoothing:
 * chosen on pointing-game composites of GTSRB train signs on Flickr8k dev photos (scripts/eval-explain.ts --dev,
 * models/default/eval/explain-dev.json, 150 composites). Averaging scales beats any single one (single scales
 * 33-51%, 320 + 448 + 576: 58%); adding the mirrored image's maps, blended with occlusion (DENSE_BLEND in
 * explain.ts), gave the best pointing (73%, neighbouring settings 67-70%). Mirror padding of the input did worse
 * (48 composites: 23 vs 32 hits), smoothing, per-scale z-scores and subtracting a baseline text's map gave nothing,
 * pooling 3 x 3 or 5 x 5 locations before the head did worse (an earlier session, 20 composites).
 */
export const DENSE_DEFAULTS = { scales: [320, 448, 576], smooth: 0, pool: 1, pad: 0, scaleNorm: false, flip: true } as const;

export interface DenseOptions {
  /** remove the component shared by all locations (default true) */
  surgery?: boolean;
  /** tower input sides (px, multiples of 32) whose maps are averaged; default DENSE_DEFAULTS.scales */
  scales?: readonly number[];
  /** Gaussian smoothing of the averaged map, sigma in cells of the output grid (0: none) */
  smooth?: number;
  /** features averaged over a pool x pool window of locations before the head (1: none); default DENSE_DEFAULTS.pool */
  pool?: number;
  /** tower input mirrored this many px (multiple of 32) out on every side, maps cropped back; default DENSE_DEFAULTS.pad */
  pad?: number;
  /** z-score each scale's map before averaging (default DENSE_DEFAULTS.scaleNorm) */
  scaleNorm?: boolean;
  /** also run every scale on the mirrored image and average its map (mirrored back) in (default DENSE_DEFAULTS.flip) */
  flip?: boolean;
}

export interface DenseResult {
  /** per-location score (cosine similarity, shared component removed), averaged over scales */
  map: Heatmap;
  /** cosine similarity of each location embedding with the text, before the removal */
  raw: Heatmap;
}

export interface LocationGrid {
  rows: number;
  cols: number;
  /** L2-normalised embedding of every location, row-major */
  embeddings: Float32Array[];
}

export interface DenseExplainer {
  /** the grid the maps come on with the default scales */
  rows: number;
  cols: number;
  /** text embeddings of the same model */
  embedTexts(texts: string[]): Float32Array[];
  /**
   * The embedding of every location for one image with the tower run at side x side pixels (default 224),
   * each location's features averaged over the pool x pool window around it first (default 1: none).
   */
  locationEmbeddings(image: ImageInput, side?: number, pool?: number, pad?: number, flip?: boolean): Promise<LocationGrid>;
  explain(image: ImageInput, text: Float32Array, opts?: DenseOptions): Promise<DenseResult>;
  dispose(): Promise<void>;
}

/** Embeds head-input features (one list per image input key), e.g. the model's head on onnxruntime. */
export type HeadFn = (feats: Record<string, Float32Array[]>) => Promise<Float32Array[]>;

/**
 * Loads a native model folder's head and text tower plus its tower(s) with spatial-map taps. The head runs
 * on onnxruntime when it can (a 576 px map has 1296 locations: ~3x less CPU than tfjs-wasm), else tfjs.
 */
export async function loadDenseExplainer(modelDir: string): Promise<DenseExplainer> {
  const vlm: LoadedVlm = await loadVlmModel(modelDir);
  let head: HeadRunner | undefined;
  try {
    head = await openImageHead(readModelSource(modelDir), backendFromEnv(), async () => vlm);
    // the tfjs head is the model's own: denseExplainer calls it directly
    const d = await denseExplainer(vlm, head.runtime === 'onnxruntime' ? (feats) => head!.embed(feats) : undefined);
    return { ...d, dispose: async () => { await d.dispose(); await head?.dispose(); } };
  } catch (e) {
    vlm.dispose();
    await head?.dispose();
    throw e;
  }
}

export async function denseExplainer(vlm: LoadedVlm, head?: HeadFn): Promise<DenseExplainer> {
  // Which map each head input reads; a detector input gets the whole image's row at every location.
  const inputs: { key: string; tower: TowerId; mapTap: string; h: number }[] = [];
  const detectorInputs: { key: string; kind: DetectorKind }[] = [];
  for (const s of vlm.imageInputs) {
    if (s.source === 'detector') {
      detectorInputs.push({ key: s.key, kind: s.detector });
      continue;
    }
    const { endpoint, pooling } = parseTap(s.tap);
    if (pooling === 'map') throw new UsageError(`image input "${s.key}" already consumes a whole spatial map: use --method occlusion`);
    const { name } = parseTowerId(s.tower as TowerId);
    const [h] = TOWER_ENDPOINTS[name][endpoint].shape;
    inputs.push({ key: s.key, tower: s.tower as TowerId, mapTap: `${endpoint}_map`, h });
  }
  if (inputs.length === 0) throw new UsageError('dense heatmaps need tower features; this model has none: use --method occlusion');
  // the map grid at 224 px, i.e. cells per 224 px of tower input
  const finest224 = Math.max(...inputs.map((i) => i.h));
  const towers = new Map<TowerId, MapTower>();
  const detectors = new Map<DetectorKind, Detector>();
  try {
    for (const id of new Set(inputs.map((i) => i.tower))) {
      towers.set(id, await openMapTower(id, [...new Set(inputs.filter((i) => i.tower === id).map((i) => i.mapTap))]));
    }
    for (const d of detectorInputs) if (!detectors.has(d.kind)) detectors.set(d.kind, await loadDetector(d.kind));
  } catch (e) {
    for (const t of towers.values()) await t.dispose();
    for (const d of detectors.values()) d.dispose();
    throw e;
  }
  // The detector rows of the last image: every scale of one explain() call reuses them.
  let lastImage: ImageInput | undefined;
  let lastRows: Promise<Map<DetectorKind, Float32Array>> | undefined;
  const detectorRows = (image: ImageInput) => {
    if (image !== lastImage || !lastRows) {
      lastImage = image;
      lastRows = (async () => {
        const rows = new Map<DetectorKind, Float32Array>();
        for (const [kind, d] of detectors) rows.set(kind, await detectorFeatureRow(d, image));
        return rows;
      })();
    }
    return lastRows;
  };
  const fixed = [...towers.values()].find((t) => t.fixedSize)?.fixedSize;
  const usable = (scales: readonly number[]) => {
    for (const s of scales) if (!(Number.isInteger(s) && s >= 32 && s % 32 === 0 && s <= 1024)) throw new RangeError(`dense: scales must be multiples of 32 in 32..1024, got ${s}`);
    // a tower that only runs at one size (tfjs fallback) gives that one scale
    return fixed ? [fixed] : [...new Set(scales)];
  };
  const gridOf = (scales: readonly number[]) => Math.max(...usable(scales).map((s) => Math.round((finest224 * s) / 224)));

  async function locationEmbeddings(image: ImageInput, side = 224, pool = 1, pad = 0, flip = false): Promise<LocationGrid> {
    const maps: Record<string, SpatialMap> = {};
    for (const t of towers.values()) Object.assign(maps, await t.maps(image, side, pad, flip));
    // Each tap's map is brought to the finest grid among them (nearest neighbour keeps the pooled mean).
    const rows = Math.max(...inputs.map((i) => maps[i.mapTap].h));
    const cols = Math.max(...inputs.map((i) => maps[i.mapTap].w));
    const feats: Record<string, Float32Array[]> = {};
    for (const inp of inputs) {
      const m = maps[inp.mapTap];
      const list: Float32Array[] = [];
      for (let r = 0; r < rows; r++) {
        const sr = Math.floor((r * m.h) / rows);
        for (let c = 0; c < cols; c++) {
          const o = (sr * m.w + Math.floor((c * m.w) / cols)) * m.c;
          list.push(m.data.subarray(o, o + m.c));
        }
      }
      feats[inp.key] = boxPool(list, rows, cols, pool);
    }
    if (detectorInputs.length) {
      const det = await detectorRows(image);
      for (const d of detectorInputs) feats[d.key] = Array(rows * cols).fill(det.get(d.kind)!);
    }
    return { rows, cols, embeddings: head ? await head(feats) : vlm.embedImageFeatures(feats) };
  }

  const side = gridOf(DENSE_DEFAULTS.scales);
  return {
    rows: side,
    cols: side,
    embedTexts: (texts) => vlm.embedTexts(texts),
    locationEmbeddings,
    async explain(image, text, opts = {}) {
      const scales = usable(opts.scales ?? DENSE_DEFAULTS.scales);
      const pool = opts.pool ?? DENSE_DEFAULTS.pool;
      if (!(Number.isInteger(pool) && pool >= 1 && pool <= 15)) throw new RangeError(`dense: pool must be an integer in 1..15, got ${pool}`);
      const pad = opts.pad ?? DENSE_DEFAULTS.pad;
      const norm = opts.scaleNorm ?? DENSE_DEFAULTS.scaleNorm;
      const n = gridOf(scales);
      const map = heatmap(n, n), raw = heatmap(n, n);
      const views = (opts.flip ?? DENSE_DEFAULTS.flip) ? [false, true] : [false];
      const k = scales.length * views.length;
      for (const s of scales) {
        for (const flip of views) {
          const g = await locationEmbeddings(image, s, pool, fixed ? 0 : pad, flip);
          const r = heatmap(g.rows, g.cols, g.embeddings.map((e) => dot(e, text)));
          const m = opts.surgery === false ? r : heatmap(g.rows, g.cols, surgery(g.embeddings, text));
          // every scale and view counts the same, whatever its grid
          const rr = resample(r, n, n).values;
          const mm = (norm ? zscore(resample(m, n, n)) : resample(m, n, n)).values;
          for (let i = 0; i < n * n; i++) {
            raw.values[i] += rr[i] / k;
            map.values[i] += mm[i] / k;
          }
        }
      }
      const sigma = opts.smooth ?? DENSE_DEFAULTS.smooth;
      return { map: sigma > 0 ? smooth(map, sigma) : map, raw };
    },
    async dispose() {
      for (const t of towers.values()) await t.dispose();
      for (const d of detectors.values()) d.dispose();
      vlm.dispose();
    },
  };
}

/**
 * Scores with the shared component removed: each location embedding loses its projection on the mean
 * location direction m, so s_l = e_l.t - (e_l.m)(m.t).
 */
export function surgery(locs: Float32Array[], text: Float32Array): number[] {
  const m = new Float32Array(text.length);
  for (const e of locs) for (let j = 0; j < m.length; j++) m[j] += e[j] / locs.length;
  l2normalize(m);
  const mt = dot(m, text);
  return locs.map((e) => dot(e, text) - dot(e, m) * mt);
}
