import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import type { Encoder } from '../../encoders/encoder.js';
import type { ImageInput } from '../../image/types.js';
import { preprocessBatch } from '../../image/preprocess.js';
import { onnxTowerPath } from '../../model/image-tower-onnx.js';
import { parseTap, parseTowerId, towerPreprocessSpec, TOWER_ENDPOINTS, type TowerId } from '../../model/image-tower.js';
import { UsageError } from '../../util/errors.js';
import { defaultModelDir } from '../../util/paths.js';

/**
 * Few-shot features from a model's frozen image tower instead of its 256-d text-aligned embedding.
 * The projection into the shared space was trained for Flickr8k captions and throws away what captions
 * never mention (which traffic sign, which garment); the tower's pre-projection taps keep it.
 *
 * A spec reads "tower[@<side>]:<tap>[+<tap>...]": the image squashed to side x side pixels (default the tower's own
 * 224; GTSRB's 35 px crops give better early-block features at 128, where block 6 sees more of the sign per cell). A tap is `<endpoint>_<pooling>` with pooling gap / gmp (what the tower
 * computes) or g2 / g3: the spatial map average-pooled over a 2x2 / 3x3 grid of cells, which keeps *where*
 * things are (the digits of a speed limit sit in the middle of the sign, a "keep left" arrow points one way).
 * Each tap is square-rooted (its ReLU outputs are bursty), each grid cell L2-normalised (and the tap scaled to
 * unit length), taps concatenated; then the rows are centred on the mean of unlabelled reference rows (ReLU
 * features all share one large positive direction that swamps cosine similarity) and L2-normalised.
 */
export interface TowerFeatureSpec {
  kind: 'tower';
  tower: TowerId;
  taps: string[];
  /** Input side in pixels. */
  size: number;
  /** What the ONNX tower graph is built with: the model's own taps plus what these taps need (reuses its exported file). */
  graphTaps: string[];
}

/** How one tap is computed from a graph output: the output name, its cells and channels. */
export interface TapLayout {
  tap: string;
  graphTap: string;
  /** Grid side (1 for gap / gmp). */
  grid: number;
  channels: number;
}

const GRID = /^g([2-4])$/;

export function tapLayout(tower: TowerId, tap: string): TapLayout {
  const { name } = parseTowerId(tower);
  const i = tap.lastIndexOf('_');
  const endpoint = tap.slice(0, i);
  const pooling = tap.slice(i + 1);
  const ep = TOWER_ENDPOINTS[name][endpoint];
  if (i <= 0 || !ep) throw new UsageError(`tower ${name} has no endpoint for tap "${tap}"; endpoints: ${Object.keys(TOWER_ENDPOINTS[name]).join(', ')}`);
  const g = GRID.exec(pooling);
  if (g) return { tap, graphTap: `${endpoint}_map`, grid: Number(g[1]), channels: ep.shape[2] };
  if (pooling === 'map') throw new UsageError(`tap "${tap}": use a grid pooling (${endpoint}_g2, ${endpoint}_g3) instead of the whole map`);
  parseTap(tap);
  return { tap, graphTap: tap, grid: 1, channels: ep.shape[2] };
}

/** Length of a tap's row before normalisation. */
export function tapLength(l: TapLayout): number {
  return l.grid * l.grid * l.channels;
}

/** The frozen tower of one of our native models (config.json image.inputs); other models have none to offer. */
export function modelTower(modelDir?: string): { tower: TowerId; taps: string[] } {
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

/** Parse "tower[@side]:<tap>[+<tap>...]" for the model in modelDir; null for "embedding" (or nothing). */
export function parseTowerFeatures(spec: string | undefined, modelDir?: string): TowerFeatureSpec | null {
  if (spec === undefined || spec === 'embedding') return null;
  const m = /^tower(?:@(\d+))?:([A-Za-z0-9_]+(?:\+[A-Za-z0-9_]+)*)$/.exec(spec);
  if (!m) throw new UsageError(`--features must be "embedding" or "tower[@side]:<tap>[+<tap>]", e.g. tower@128:b6_g3 (got "${spec}")`);
  const size = m[1] === undefined ? undefined : Number(m[1]);
  if (size !== undefined && !(size >= 32 && size <= 1024 && size % 32 === 0)) throw new UsageError(`--features ${spec}: the input side must be a multiple of 32 from 32 to 1024`);
  const { tower, taps: own } = modelTower(modelDir);
  const taps = m[2].split('+');
  if (new Set(taps).size !== taps.length) throw new UsageError(`--features names a tap twice: ${spec}`);
  const layouts = taps.map((t) => tapLayout(tower, t));
  const side = size ?? towerPreprocessSpec(tower).width;
  return { kind: 'tower', tower, taps, size: side, graphTaps: [...new Set([...own, ...layouts.map((l) => l.graphTap)])].sort() };
}

/** The canonical spec string (the size only when it is not the tower's own). */
export function towerFeaturesName(f: TowerFeatureSpec): string {
  return `tower${f.size === towerPreprocessSpec(f.tower).width ? '' : `@${f.size}`}:${f.taps.join('+')}`;
}

/** Average-pool an [h, w, c] map (row-major) over a g x g grid of cells (PyTorch's adaptive pooling bounds). */
export function gridPool(map: Float32Array, h: number, w: number, c: number, g: number): Float32Array {
  const out = new Float32Array(g * g * c);
  for (let gy = 0; gy < g; gy++) {
    const y0 = Math.floor((gy * h) / g), y1 = Math.ceil(((gy + 1) * h) / g);
    for (let gx = 0; gx < g; gx++) {
      const x0 = Math.floor((gx * w) / g), x1 = Math.ceil(((gx + 1) * w) / g);
      const o = (gy * g + gx) * c;
      const inv = 1 / ((y1 - y0) * (x1 - x0));
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const b = (y * w + x) * c;
          for (let k = 0; k < c; k++) out[o + k] += map[b + k] * inv;
        }
      }
    }
  }
  return out;
}

/**
 * Raw rows -> normalised, uncentred rows: per tap sqrt(max(0, v)), each cell L2-normalised, the tap scaled to
 * unit length; taps concatenated (each contributes equally).
 */
export function normaliseTowerRow(raw: Float32Array, layouts: TapLayout[]): Float32Array {
  const out = new Float32Array(raw.length);
  let o = 0;
  const tapScale = 1 / Math.sqrt(layouts.length);
  for (const l of layouts) {
    const cells = l.grid * l.grid;
    const scale = tapScale / Math.sqrt(cells);
    for (let cell = 0; cell < cells; cell++, o += l.channels) {
      let s = 0;
      for (let k = 0; k < l.channels; k++) {
        const v = Math.sqrt(Math.max(0, raw[o + k]));
        out[o + k] = v;
        s += v * v;
      }
      const inv = scale / Math.sqrt(s || 1);
      for (let k = 0; k < l.channels; k++) out[o + k] *= inv;
    }
  }
  return out;
}

/** The mean of rows (the centre of an unlabelled reference set). */
export function meanRow(rows: Float32Array[]): Float32Array {
  const dim = rows[0]?.length ?? 0;
  const acc = new Float64Array(dim);
  for (const r of rows) for (let k = 0; k < dim; k++) acc[k] += r[k];
  return Float32Array.from(acc, (v) => v / Math.max(1, rows.length));
}

/** Subtract the centre and L2-normalise, in place. */
export function centreRows(rows: Float32Array[], centre: Float32Array): Float32Array[] {
  for (const r of rows) {
    if (r.length !== centre.length) throw new UsageError(`feature length ${r.length} does not match the centre (${centre.length})`);
    let s = 0;
    for (let k = 0; k < r.length; k++) s += (r[k] -= centre[k]) ** 2;
    const inv = 1 / Math.sqrt(s || 1);
    for (let k = 0; k < r.length; k++) r[k] *= inv;
  }
  return rows;
}

/** Runs the tower on images and returns their raw tap rows (taps concatenated, before normalisation). */
export interface TowerFeatureExtractor {
  readonly id: string;
  /** Length of a raw (and of a normalised) row. */
  readonly dim: number;
  readonly layouts: TapLayout[];
  raw(inputs: ImageInput[]): Promise<Float32Array[]>;
  /** raw() then normaliseTowerRow (not centred). */
  features(inputs: ImageInput[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/**
 * The tower's exported ONNX graph (src/model/image-tower-onnx-export.ts, shared file) with free N, H, W: MobileNetV2
 * is fully convolutional (SAME padding, global pools), so any input side works; only the declared shapes are fixed.
 */
async function flexibleTowerOnnx(f: TowerFeatureSpec): Promise<Uint8Array> {
  const { name } = parseTowerId(f.tower);
  const file = onnxTowerPath(name, f.graphTaps);
  if (!existsSync(file)) {
    const { exportTowerOnnx } = await import('../../model/image-tower-onnx-export.js');
    const bytes = await exportTowerOnnx(name, f.graphTaps);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.${process.pid}.tmp`, bytes);
    renameSync(`${file}.${process.pid}.tmp`, file);
  }
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(readFileSync(file));
  const free = (...names: string[]) => names.map((dimParam) => ({ dimParam }));
  for (const v of model.graph?.input ?? []) v.type!.tensorType!.shape!.dim = [...free('N', 'H', 'W'), { dimValue: 3 }];
  for (const v of model.graph?.output ?? []) {
    const dims = v.type!.tensorType!.shape!.dim!;
    v.type!.tensorType!.shape!.dim = dims.length === 4 ? [...free('N', 'h', 'w'), dims[3]] : [...free('N'), dims[1]];
  }
  return onnx.ModelProto.encode(model).finish();
}

export async function loadTowerFeatureExtractor(f: TowerFeatureSpec, opts: { threads?: number } = {}): Promise<TowerFeatureExtractor> {
  const layouts = f.taps.map((t) => tapLayout(f.tower, t));
  const ort = await import('onnxruntime-node');
  const { createSession } = await import('../../model/ort-session.js');
  const session = await createSession(await flexibleTowerOnnx(f), opts.threads ?? 0);
  const spec = { ...towerPreprocessSpec(f.tower), width: f.size, height: f.size };
  const dim = layouts.reduce((a, l) => a + tapLength(l), 0);
  const outputs = [...new Set(layouts.map((l) => l.graphTap))];
  const raw = async (inputs: ImageInput[]): Promise<Float32Array[]> => {
    if (!inputs.length) return [];
    const n = inputs.length;
    const pixels = await preprocessBatch(inputs, spec);
    const res = await session.run({ pixels: new ort.Tensor('float32', pixels, [n, f.size, f.size, 3]) }, outputs);
    return inputs.map((_, i) => {
      const row = new Float32Array(dim);
      let o = 0;
      for (const l of layouts) {
        const t = res[l.graphTap];
        const data = t.data as Float32Array;
        const per = data.length / n;
        const v = data.subarray(i * per, (i + 1) * per);
        if (l.grid === 1) row.set(v, o);
        else row.set(gridPool(v, t.dims[1], t.dims[2], l.channels, l.grid), o);
        o += tapLength(l);
      }
      return row;
    });
  };
  return {
    id: `${f.tower}:${towerFeaturesName(f)}`,
    dim,
    layouts,
    raw,
    features: async (inputs) => (await raw(inputs)).map((r) => normaliseTowerRow(r, layouts)),
    dispose: () => session.release(),
  };
}

/**
 * The extractor behind the Encoder interface (images only; the tower is loaded on first use), so code that
 * embeds images - in batches, skipping unreadable files - can produce tower features instead. Rows are
 * normalised but not centred.
 */
export function towerFeatureEncoder(f: TowerFeatureSpec): Encoder {
  let extractor: Promise<TowerFeatureExtractor> | null = null;
  const layouts = f.taps.map((t) => tapLayout(f.tower, t));
  return {
    id: `${f.tower}:${towerFeaturesName(f)}`,
    dim: layouts.reduce((a, l) => a + tapLength(l), 0),
    async embedImages(inputs) {
      extractor ??= loadTowerFeatureExtractor(f);
      return (await extractor).features(inputs);
    },
    async embedTexts() {
      throw new UsageError('tower features have no text side');
    },
    async dispose() {
      if (extractor) await (await extractor).dispose();
    },
  };
}
