import type { PreprocessSpec } from '../image/preprocess.js';
import { loadOnnxImageTower } from './image-tower-onnx.js';
import { loadImageTower, towerPreprocessSpec, type TowerId } from './image-tower.js';
import { backendFromEnv, preferOnnx, type NativeBackend, type Runtime } from './runtime-choice.js';

/** Runs one frozen tower on preprocessed NHWC pixels and returns the requested taps. */
export interface TowerRunner {
  runtime: Runtime;
  preprocess: PreprocessSpec;
  size: number;
  run(pixels: Float32Array, n: number): Promise<Record<string, Float32Array[]>>;
  dispose(): Promise<void> | void;
}

/**
 * The fastest available path for a tower: onnxruntime (the ONNX graph is exported from the nsfwjs weights on
 * first use), falling back to tfjs-wasm when onnxruntime cannot be used here.
 */
export async function openTower(id: TowerId, taps: string[], backend: NativeBackend = backendFromEnv()): Promise<TowerRunner> {
  const preprocess = towerPreprocessSpec(id);
  const size = preprocess.width;
  return preferOnnx<TowerRunner>(
    'image tower',
    backend,
    async () => {
      const t = await loadOnnxImageTower(id, taps, { threads: 0 });
      return { runtime: 'onnxruntime', preprocess, size, run: (p, n) => t.features(p, n), dispose: () => t.dispose() };
    },
    async () => {
      const t = await loadImageTower(id);
      const { tf } = await import('./tf.js');
      return {
        runtime: 'tfjs',
        preprocess: t.preprocess,
        size,
        async run(pixels, n) {
          const x = tf.tensor4d(pixels, [n, size, size, 3]);
          try {
            return await t.features(x, taps);
          } finally {
            x.dispose();
          }
        },
        dispose: () => t.dispose(),
      };
    },
  );
}
