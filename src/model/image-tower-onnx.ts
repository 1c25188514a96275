import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cacheDir } from '../util/paths.js';
import { createSession } from './ort-session.js';
import { parseTap, parseTowerId, TOWER_ENDPOINTS, type TowerId, type TowerName } from './image-tower.js';
import { NSFWJS_MODEL_INFO } from './nsfwjs-loader.js';

/**
 * The image tower on onnxruntime-node (native, multi-threaded): same inputs, taps and outputs as the tfjs tower
 * (src/model/image-tower.ts), ~4x its throughput per core. The ONNX file is exported from the nsfwjs weights on
 * first use (src/model/image-tower-onnx-export.ts, with onnx-proto) and kept in
 * cacheDir('onnx', '<network>.<taps>.onnx').
 */
export interface OnnxImageTower {
  id: TowerId;
  name: TowerName;
  inputSize: number;
  taps: string[];
  tapDim(tap: string): number;
  /** pixels: n images of S x S x 3 (NHWC, tower.preprocess). One Float32Array per image per tap (views). */
  features(pixels: Float32Array, n: number): Promise<Record<string, Float32Array[]>>;
  dispose(): Promise<void>;
}

export function onnxTowerPath(name: TowerName, taps: string[]): string {
  return cacheDir('onnx', `${name}.${[...taps].sort().join('+')}.onnx`);
}

/** The tower's ONNX graph for these taps: exported from the nsfwjs weights on first use, then read from the cache. */
export async function towerOnnxBytes(name: TowerName, taps: string[]): Promise<Uint8Array> {
  const file = onnxTowerPath(name, taps);
  if (!existsSync(file)) {
    const { exportTowerOnnx } = await import('./image-tower-onnx-export.js');
    const bytes = await exportTowerOnnx(name, taps);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.${process.pid}.tmp`, bytes);
    renameSync(`${file}.${process.pid}.tmp`, file);
  }
  return readFileSync(file);
}

/** An onnxruntime session for a tower graph (threads 0 = all cores; one by default: callers run several). */
export function createTowerSession(bytes: Uint8Array, threads = 1): Promise<ort.InferenceSession> {
  return createSession(bytes, threads);
}

export async function loadOnnxImageTower(id: TowerId, taps: string[], opts: { threads?: number } = {}): Promise<OnnxImageTower> {
  const { name } = parseTowerId(id);
  for (const tap of taps) parseTap(tap);
  const session = await createTowerSession(await towerOnnxBytes(name, taps), opts.threads ?? 1);
  const size = NSFWJS_MODEL_INFO[name].inputSize;
  const endpoints = TOWER_ENDPOINTS[name];
  const tapDim = (tap: string) => {
    const { endpoint, pooling } = parseTap(tap);
    const [h, w, c] = endpoints[endpoint].shape;
    return pooling === 'map' ? h * w * c : c;
  };
  return {
    id,
    name,
    inputSize: size,
    taps,
    tapDim,
    async features(pixels, n) {
      const res = await session.run({ pixels: new ort.Tensor('float32', pixels, [n, size, size, 3]) });
      const out: Record<string, Float32Array[]> = {};
      for (const tap of taps) {
        const flat = res[tap].data as Float32Array;
        const dim = tapDim(tap);
        out[tap] = Array.from({ length: n }, (_, i) => flat.subarray(i * dim, (i + 1) * dim));
      }
      return out;
    },
    dispose: () => session.release(),
  };
}

/** Mirror n NHWC images left-right (the flip variant of the feature cache), into a new array. */
export function flipNhwc(pixels: Float32Array, n: number, h: number, w: number, c = 3): Float32Array {
  const out = new Float32Array(pixels.length);
  const row = w * c;
  for (let r = 0; r < n * h; r++) {
    const base = r * row;
    for (let x = 0; x < w; x++) {
      const src = base + x * c, dst = base + (w - 1 - x) * c;
      for (let k = 0; k < c; k++) out[dst + k] = pixels[src + k];
    }
  }
  return out;
}
