import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { VlmError } from '../util/errors.js';
import type { ModelConfig } from './config.js';
import type { SafeTensor } from './safetensors.js';
import type { TokenIds } from './vlm-model.js';

/**
 * The text tower on onnxruntime-node (native, all cores): the same function of token ids as the tfjs path
 * (VlmModel.embedTokenIds), several times faster. The graph is converted from the loaded weights at load time
 * (src/model/text-tower-onnx-export.ts, a few ms) and never written to disk: the model folder stays the only source.
 */
export interface OnnxTextTower {
  /** L2-normalised embeddings of a padded batch, one Float32Array per row. */
  embedTokenIds(batch: TokenIds): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export interface OnnxTextTowerOptions {
  /** intra-op threads; default $VLM_ONNX_THREADS, else all cores. */
  threads?: number;
  /** onnxruntime's fused contrib ops (default) or standard ONNX ops only (see exportTextTowerOnnx). */
  fused?: boolean;
}

export async function loadOnnxTextTower(config: ModelConfig, tensors: Map<string, SafeTensor>, opts: OnnxTextTowerOptions = {}): Promise<OnnxTextTower> {
  const { exportTextTowerOnnx } = await import('./text-tower-onnx-export.js');
  const bytes = exportTextTowerOnnx(config, tensors, { fused: opts.fused });
  const threads = opts.threads ?? (Number(process.env.VLM_ONNX_THREADS) || availableParallelism());
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // No busy-waiting between ops: the cores are shared with other work (decoding, other sessions).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const maxLength = config.text.max_length;
  const dim = config.embed_dim;
  return {
    async embedTokenIds(batch) {
      const T = batch.length;
      if (T > maxLength) throw new VlmError(`token batch length ${T} exceeds text.max_length ${maxLength}`);
      const B = batch.ids.length / T;
      const res = await session.run({
        ids: new ort.Tensor('int32', batch.ids, [B, T]),
        mask: new ort.Tensor('float32', batch.mask, [B, T]),
      });
      const flat = res.embedding.data as Float32Array;
      return Array.from({ length: B }, (_, i) => flat.slice(i * dim, (i + 1) * dim));
    },
    dispose: () => session.release(),
  };
}
