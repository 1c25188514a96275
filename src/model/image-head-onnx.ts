import * as ort from 'onnxruntime-node';
import { VlmError } from '../util/errors.js';
import type { ModelConfig } from './config.js';
import type { SafeTensor } from './safetensors.js';
import { createSession } from './ort-session.js';
import { convertedOnnx, type ConvertOptions } from './text-tower-onnx.js';

/**
 * The trainable image head on onnxruntime (src/model/image-head-onnx-export.ts). With the towers and the text tower
 * also on onnxruntime, the default model embeds without building the tfjs model at all.
 */
export interface OnnxImageHead {
  /** One feature matrix [n, dim_i] per config.image.inputs entry -> n L2-normalised embeddings. */
  embedFeatureMatrices(inputs: Float32Array[], n: number): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export async function loadOnnxImageHead(config: ModelConfig, tensors: Map<string, SafeTensor>, opts: ConvertOptions = {}): Promise<OnnxImageHead> {
  const bytes = await convertedOnnx('image-head', opts.cacheKey, async () => (await import('./image-head-onnx-export.js')).exportImageHeadOnnx(config, tensors));
  const session = await createSession(bytes, opts.threads);
  const specs = config.image.inputs;
  const dim = config.embed_dim;
  return {
    async embedFeatureMatrices(inputs, n) {
      if (inputs.length !== specs.length) throw new VlmError(`expected ${specs.length} image inputs, got ${inputs.length}`);
      const feeds: Record<string, ort.Tensor> = {};
      inputs.forEach((x, i) => {
        if (x.length !== n * specs[i].dim) throw new VlmError(`image input ${i}: ${x.length} values for ${n} x ${specs[i].dim}`);
        feeds[`input${i}`] = new ort.Tensor('float32', x, [n, specs[i].dim]);
      });
      const flat = (await session.run(feeds)).embedding.data as Float32Array;
      return Array.from({ length: n }, (_, i) => flat.slice(i * dim, (i + 1) * dim));
    },
    dispose: () => session.release(),
  };
}
