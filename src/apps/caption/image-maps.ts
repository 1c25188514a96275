import { preprocessBatch } from '../../image/preprocess.js';
import type { ImageInput } from '../../image/types.js';
import { loadOnnxImageTower } from '../../model/image-tower-onnx.js';
import { loadImageTower, parseTowerId, towerPreprocessSpec, type TowerId } from '../../model/image-tower.js';
import { log } from '../../util/log.js';

/** The frozen tower's spatial map for images (flattened NHWC rows, as the feature cache stores them). */
export interface MapExtractor {
  maps(images: ImageInput[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** onnxruntime first (native, fast), tfjs-wasm when onnxruntime cannot run here: the same choice as the encoder. */
export async function openMapExtractor(tower: string, tap: string): Promise<MapExtractor> {
  const id = tower as TowerId;
  parseTowerId(id);
  const spec = towerPreprocessSpec(id);
  if (process.env.VLM_TOWER_BACKEND !== 'tfjs') {
    try {
      const t = await loadOnnxImageTower(id, [tap], { threads: 0 });
      return {
        async maps(images) {
          const pixels = await preprocessBatch(images, spec);
          const out = await t.features(pixels, images.length);
          return out[tap].map((r) => Float32Array.from(r));
        },
        dispose: () => t.dispose(),
      };
    } catch (err) {
      log(`vlm: onnxruntime tower unavailable (${(err as Error).message}); using tfjs-wasm`);
    }
  }
  const t = await loadImageTower(id);
  const { tf } = await import('../../model/tf.js');
  return {
    async maps(images) {
      const pixels = await preprocessBatch(images, t.preprocess);
      const x = tf.tensor4d(pixels, [images.length, t.inputSize, t.inputSize, 3]);
      try {
        const out = await t.features(x, [tap]);
        return out[tap].map((r) => Float32Array.from(r));
      } finally {
        x.dispose();
      }
    },
    async dispose() {
      t.dispose();
    },
  };
}
