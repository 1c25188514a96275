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
import { preprocessBatch } from '../../image/preprocess.js';
import type { ImageInput } from '../../image/types.js';
import { loadVlmModel, type LoadedVlm } from '../../model/checkpoint.js';
import { loadOnnxImageTower } from '../../model/image-tower-onnx.js';
import { loadImageTower, parseTap, parseTowerId, towerPreprocessSpec, TOWER_ENDPOINTS, type TowerId } from '../../model/image-tower.js';
import { UsageError } from '../../util/errors.js';
import { log } from '../../util/log.js';
import { heatmap, type Heatmap } from './heatmap.js';

export interface DenseOptions {
  /** remove the component shared by all locations (default true) */
  surgery?: boolean;
}

export interface DenseResult {
  /** per-location score (cosine similarity, shared component removed) */
  map: Heatmap;
  /** cosine similarity of each location embedding with the text, before the removal */
  raw: Heatmap;
}

export interface DenseExplainer {
  /** the grid the maps come on */
  rows: number;
  cols: number;
  /** text embeddings of the same model */
  embedTexts(texts: string[]): Float32Array[];
  /** the L2-normalised embedding of every location, row-major, for one image */
  locationEmbeddings(image: ImageInput): Promise<Float32Array[]>;
  explain(image: ImageInput, text: Float32Array, opts?: DenseOptions): Promise<DenseResult>;
  dispose(): Promise<void>;
}

interface MapRunner {
  run(pixels: Float32Array): Promise<Record<string, Float32Array>>;
  dispose(): Promise<void> | void;
}

async function openMapTower(id: TowerId, taps: string[]): Promise<MapRunner> {
  const size = towerPreprocessSpec(id).width;
  if (process.env.VLM_TOWER_BACKEND !== 'tfjs') {
    try {
      const t = await loadOnnxImageTower(id, taps, { threads: 0 });
      return { run: async (p) => Object.fromEntries(Object.entries(await t.features(p, 1)).map(([k, v]) => [k, Float32Array.from(v[0])])), dispose: () => t.dispose() };
    } catch (err) {
      log(`vlm: onnxruntime tower unavailable (${(err as Error).message}); using tfjs-wasm`);
    }
  }
  const t = await loadImageTower(id);
  const { tf } = await import('../../model/tf.js');
  return {
    async run(p) {
      const x = tf.tensor4d(p, [1, size, size, 3]);
      try {
        return Object.fromEntries(Object.entries(await t.features(x, taps)).map(([k, v]) => [k, Float32Array.from(v[0])]));
      } finally {
        x.dispose();
      }
    },
    dispose: () => t.dispose(),
  };
}

/** Loads a native model folder's head and text tower plus its tower(s) with spatial-map taps. */
export async function loadDenseExplainer(modelDir: string): Promise<DenseExplainer> {
  const vlm: LoadedVlm = await loadVlmModel(modelDir);
  try {
    return await denseExplainer(vlm);
  } catch (e) {
    vlm.dispose();
    throw e;
  }
}

export async function denseExplainer(vlm: LoadedVlm): Promise<DenseExplainer> {
  // Which map each head input reads, and its shape.
  const inputs = vlm.imageInputs.map((s) => {
    if (s.source !== 'tower') throw new UsageError(`dense heatmaps need tower features; image input "${s.key}" is ${s.source}: use --method occlusion`);
    const { endpoint, pooling } = parseTap(s.tap);
    if (pooling === 'map') throw new UsageError(`image input "${s.key}" already consumes a whole spatial map: use --method occlusion`);
    const { name } = parseTowerId(s.tower as TowerId);
    const [h, w, c] = TOWER_ENDPOINTS[name][endpoint].shape;
    return { key: s.key, tower: s.tower as TowerId, mapTap: `${endpoint}_map`, h, w, c };
  });
  const rows = Math.max(...inputs.map((i) => i.h));
  const cols = Math.max(...inputs.map((i) => i.w));
  const towers = new Map<TowerId, { runner: MapRunner; spec: ReturnType<typeof towerPreprocessSpec> }>();
  try {
    for (const id of new Set(inputs.map((i) => i.tower))) {
      const taps = [...new Set(inputs.filter((i) => i.tower === id).map((i) => i.mapTap))];
      towers.set(id, { runner: await openMapTower(id, taps), spec: towerPreprocessSpec(id) });
    }
  } catch (e) {
    for (const t of towers.values()) await t.runner.dispose();
    throw e;
  }

  async function locationEmbeddings(image: ImageInput): Promise<Float32Array[]> {
    const maps: Record<string, Float32Array> = {};
    for (const t of towers.values()) Object.assign(maps, await t.runner.run(await preprocessBatch([image], t.spec)));
    const feats: Record<string, Float32Array[]> = {};
    for (const inp of inputs) {
      const m = maps[inp.mapTap];
      const list: Float32Array[] = [];
      for (let r = 0; r < rows; r++) {
        const sr = Math.floor((r * inp.h) / rows);
        for (let c = 0; c < cols; c++) {
          const sc = Math.floor((c * inp.w) / cols);
          const o = (sr * inp.w + sc) * inp.c;
          list.push(m.subarray(o, o + inp.c));
        }
      }
      feats[inp.key] = list;
    }
    return vlm.embedImageFeatures(feats);
  }

  return {
    rows,
    cols,
    embedTexts: (texts) => vlm.embedTexts(texts),
    locationEmbeddings,
    async explain(image, text, opts = {}) {
      const locs = await locationEmbeddings(image);
      const raw = heatmap(rows, cols, locs.map((e) => dot(e, text)));
      if (opts.surgery === false) return { map: raw, raw };
      return { map: heatmap(rows, cols, surgery(locs, text)), raw };
    },
    async dispose() {
      for (const t of towers.values()) await t.runner.dispose();
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
