/**
 * The frozen image tower's spatial maps at any input size, for dense heatmaps. MobileNetV2 is fully
 * convolutional, so a 448 x 448 input gives 2x finer maps (b13: 28 x 28) than the 224 x 224 the head was
 * trained at. The exported ONNX graph (src/model/image-tower-onnx-export.ts) pads with SAME_UPPER and has
 * no size-bound op, but declares fixed input and output shapes: this copy of it declares H and W free.
 * The tfjs-wasm fallback runs the network at 224 only.
 */
import onnxProto from 'onnx-proto';
import { preprocessBatch, type PreprocessSpec } from '../../image/preprocess.js';
import type { ImageInput } from '../../image/types.js';
import { createTowerSession, flipNhwc, towerOnnxBytes } from '../../model/image-tower-onnx.js';
import { loadImageTower, parseTowerId, towerPreprocessSpec, TOWER_ENDPOINTS, type TowerId } from '../../model/image-tower.js';
import { backendFromEnv, preferOnnx } from '../../model/runtime-choice.js';

/** One tap's map for one image: h x w x c, row-major. */
export interface SpatialMap {
  h: number;
  w: number;
  c: number;
  data: Float32Array;
}

export interface MapTower {
  /** input sides the tower accepts (undefined: any multiple of 32) */
  readonly fixedSize?: number;
  /**
   * The maps (taps named `<endpoint>_map`) of one image squashed to side x side pixels. With `pad` > 0 (a multiple
   * of 32) the input is first mirrored `pad` pixels out on every side and the maps are cropped back to the image:
   * border locations then see a plausible surround instead of the network's zero padding. With `flip` the tower
   * sees the mirror image and the maps are mirrored back (a second view of the same places).
   */
  maps(image: ImageInput, side: number, pad?: number, flip?: boolean): Promise<Record<string, SpatialMap>>;
  dispose(): Promise<void>;
}

const { onnx } = onnxProto;

/** The tower's ONNX bytes with free N, H, W on the input and free N, h, w on every output. */
async function flexibleOnnx(id: TowerId, taps: string[]): Promise<Uint8Array> {
  const { name } = parseTowerId(id);
  const model = onnx.ModelProto.decode(await towerOnnxBytes(name, taps));
  const free = (...names: string[]) => names.map((dimParam) => ({ dimParam }));
  for (const v of model.graph!.input!) v.type!.tensorType!.shape!.dim = [...free('N', 'H', 'W'), { dimValue: 3 }];
  for (const v of model.graph!.output!) {
    const dims = v.type!.tensorType!.shape!.dim!;
    if (dims.length === 4) v.type!.tensorType!.shape!.dim = [...free('N', 'h', 'w'), dims[3]];
  }
  return onnx.ModelProto.encode(model).finish();
}

async function onnxMapTower(id: TowerId, taps: string[]): Promise<MapTower> {
  const ort = await import('onnxruntime-node');
  const session = await createTowerSession(await flexibleOnnx(id, taps), 0);
  const base = towerPreprocessSpec(id);
  return {
    async maps(image, side, pad = 0, flip = false) {
      if (!(Number.isInteger(pad) && pad >= 0 && pad % 32 === 0 && pad <= side)) throw new RangeError(`map tower: pad must be a multiple of 32 in 0..side, got ${pad}`);
      const spec: PreprocessSpec = { ...base, width: side, height: side };
      const full = side + 2 * pad;
      const px = await preprocessBatch([image], spec);
      const pixels = mirrorPad(flip ? flipNhwc(px, 1, side, side) : px, side, pad);
      const res = await session.run({ pixels: new ort.Tensor('float32', pixels, [1, full, full, 3]) });
      return Object.fromEntries(taps.map((tap) => {
        const [, h, w, c] = res[tap].dims as number[];
        const m = cropMap({ h, w, c, data: res[tap].data as Float32Array }, (pad * h) / full);
        return [tap, flip ? { ...m, data: flipNhwc(m.data, 1, m.h, m.w, m.c) } : m];
      }));
    },
    dispose: () => session.release(),
  };
}

/** An n x n x 3 (NHWC) image reflected `pad` pixels out on every side (edge pixels not repeated). */
export function mirrorPad(px: Float32Array, n: number, pad: number): Float32Array {
  if (pad === 0) return px;
  const m = n + 2 * pad;
  // reflect index i in [-pad, n + pad) into [0, n)
  const at = (i: number) => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  const out = new Float32Array(m * m * 3);
  for (let y = 0; y < m; y++) {
    const sy = at(y - pad);
    for (let x = 0; x < m; x++) {
      const o = (y * m + x) * 3, i = (sy * n + at(x - pad)) * 3;
      out[o] = px[i];
      out[o + 1] = px[i + 1];
      out[o + 2] = px[i + 2];
    }
  }
  return out;
}

/** The map without `k` cells on every side. */
export function cropMap(m: SpatialMap, k: number): SpatialMap {
  if (k === 0) return m;
  const h = m.h - 2 * k, w = m.w - 2 * k;
  const data = new Float32Array(h * w * m.c);
  for (let r = 0; r < h; r++) data.set(m.data.subarray(((r + k) * m.w + k) * m.c, ((r + k) * m.w + k + w) * m.c), r * w * m.c);
  return { h, w, c: m.c, data };
}

async function tfjsMapTower(id: TowerId, taps: string[]): Promise<MapTower> {
  const t = await loadImageTower(id);
  const { tf } = await import('../../model/tf.js');
  const spec = towerPreprocessSpec(id);
  const { name } = parseTowerId(id);
  return {
    fixedSize: spec.width,
    async maps(image, _side, _pad, flip = false) {
      const px = await preprocessBatch([image], spec);
      const x = tf.tensor4d(flip ? flipNhwc(px, 1, spec.height, spec.width) : px, [1, spec.height, spec.width, 3]);
      try {
        const out = await t.features(x, taps);
        return Object.fromEntries(taps.map((tap) => {
          const [h, w, c] = TOWER_ENDPOINTS[name][tap.slice(0, -'_map'.length)].shape;
          const data = Float32Array.from(out[tap][0]);
          return [tap, { h, w, c, data: flip ? flipNhwc(data, 1, h, w, c) : data }];
        }));
      } finally {
        x.dispose();
      }
    },
    dispose: async () => t.dispose(),
  };
}

/** onnxruntime (any size) unless VLM_TOWER_BACKEND=tfjs or it fails to load; then tfjs-wasm at the tower's own size. */
export function openMapTower(id: TowerId, taps: string[]): Promise<MapTower> {
  return preferOnnx('image tower (any-size maps)', backendFromEnv(), () => onnxMapTower(id, taps), () => tfjsMapTower(id, taps));
}
