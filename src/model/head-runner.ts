import type { LoadedVlm } from './checkpoint.js';
import { imageInputKey } from './config.js';
import type { ModelSource } from './model-source.js';
import { preferOnnx, type NativeBackend, type Runtime } from './runtime-choice.js';
import { VlmError } from '../util/errors.js';

/** The trainable image head over tower features (record key -> one vector per image) -> L2-normalised embeddings. */
export interface HeadRunner {
  runtime: Runtime;
  /** With `flipped` (config.image.flip_tta), the embeddings of the image and its mirror are averaged and re-normalised. */
  embed(feats: Record<string, Float32Array[]>, flipped?: Record<string, Float32Array[]>): Promise<Float32Array[]>;
  dispose(): Promise<void> | void;
}

/** The head on onnxruntime (converted from the weights, cached by source.cacheKey), else the tfjs model from `vlm`. */
export async function openImageHead({ config, tensors, cacheKey }: ModelSource, backend: NativeBackend, vlm: () => Promise<LoadedVlm>): Promise<HeadRunner> {
  return preferOnnx<HeadRunner>(
    'image head',
    backend,
    async () => {
      const { loadOnnxImageHead } = await import('./image-head-onnx.js');
      const h = await loadOnnxImageHead(config, tensors, { cacheKey });
      const keys = config.image.inputs.map(imageInputKey);
      const run = (feats: Record<string, Float32Array[]>): Promise<Float32Array[]> => {
        const n = feats[keys[0]]?.length ?? 0;
        const mats = keys.map((k, i) => {
          const list = feats[k];
          const d = config.image.inputs[i].dim;
          if (!list || list.length !== n) throw new VlmError(`image features "${k}" missing or not for ${n} images`);
          const m = new Float32Array(n * d);
          list.forEach((v, r) => m.set(v, r * d));
          return m;
        });
        return h.embedFeatureMatrices(mats, n);
      };
      return {
        runtime: 'onnxruntime',
        async embed(feats, flipped) {
          const a = await run(feats);
          return flipped ? averageRenormalised(a, await run(flipped)) : a;
        },
        dispose: () => h.dispose(),
      };
    },
    async () => {
      const m = await vlm();
      return { runtime: 'tfjs', embed: async (feats, flipped) => m.embedImageFeatures(feats, { flipped }), dispose: () => {} };
    },
  );
}

/** (a + b) / |a + b| row by row (flip test-time augmentation, as LoadedVlm.embedImageFeatures does it). */
function averageRenormalised(a: Float32Array[], b: Float32Array[]): Float32Array[] {
  return a.map((v, i) => {
    const o = new Float32Array(v.length);
    let s = 0;
    for (let j = 0; j < v.length; j++) s += (o[j] = v[j] + b[i][j]) ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < v.length; j++) o[j] *= inv;
    return o;
  });
}
