import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ImageInput } from '../image/types.js';
import { cacheDir } from '../util/paths.js';
import { candidatesOf, centernetPixels, type CenternetOutput } from './detector-input.js';
import { createSession } from './ort-session.js';

/**
 * The centernet detector on onnxruntime-node: the same graph as the tfjs path (detector-centernet.ts), converted
 * by detector-onnx-export.ts on first use and kept in cacheDir('onnx', 'centernet.<hash>.onnx'), the hash taken
 * over the graph JSON and the exporter version so a changed model or converter makes a new file.
 */
const EXPORT_VERSION = 2;

export function centernetOnnxPath(jsonPath: string): string {
  const h = createHash('sha256').update(readFileSync(jsonPath)).update(`v${EXPORT_VERSION}`).digest('hex').slice(0, 12);
  return cacheDir('onnx', `centernet.${h}.onnx`);
}

export async function centernetOnnxBytes(jsonPath: string): Promise<Uint8Array> {
  const file = centernetOnnxPath(jsonPath);
  if (!existsSync(file)) {
    const { exportCenternetOnnx } = await import('./detector-onnx-export.js');
    const bytes = await exportCenternetOnnx(jsonPath);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.${process.pid}.tmp`, bytes);
    renameSync(`${file}.${process.pid}.tmp`, file);
  }
  return readFileSync(file);
}

export interface CenternetSession {
  run(image: ImageInput): Promise<CenternetOutput>;
  release(): Promise<void>;
}


/** threads: onnxruntime intra-op threads (default 0 = all cores, as the image towers use them). */
export async function loadCenternetOnnx(jsonPath: string, opts: { threads?: number } = {}): Promise<CenternetSession> {
  const session = await createSession(await centernetOnnxBytes(jsonPath), opts.threads ?? 0);
  return {
    async run(image) {
      const px = await centernetPixels(image);
      const data = px.data instanceof Float32Array ? px.data : Float32Array.from(px.data);
      const res = await session.run({ pixels: new ort.Tensor('float32', data, [1, px.height, px.width, 3]) });
      return { candidates: candidatesOf(res.detections.data as Float32Array), classMax: Float32Array.from(res.class_max.data as Float32Array) };
    },
    release: () => session.release(),
  };
}
