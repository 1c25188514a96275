import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cacheDir } from '../util/paths.js';
import { createSession } from './ort-session.js';
import { VlmError } from '../util/errors.js';
import type { ModelConfig } from './config.js';
import type { SafeTensor } from './safetensors.js';
import type { TokenIds } from './vlm-model.js';

/**
 * The text tower on onnxruntime-node (native, all cores): the same function of token ids as the tfjs path
 * (VlmModel.embedTokenIds), several times faster. The graph is converted from the loaded weights at load time
 * (src/model/text-tower-onnx-export.ts); the model folder stays the only source of truth.
 */
export interface OnnxTextTower {
  /** L2-normalised embeddings of a padded batch, one Float32Array per row. */
  embedTokenIds(batch: TokenIds): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export interface ConvertOptions {
  /** intra-op threads; default $VLM_ONNX_THREADS, else all cores. */
  threads?: number;
  /**
   * Names the weights (e.g. their hash). When given, the converted graph is kept in cacheDir('onnx') under this key:
   * a later start skips the converter and onnx-proto (~150 ms CPU of a cold start). Without it, nothing is written.
   */
  cacheKey?: string;
}

export interface OnnxTextTowerOptions extends ConvertOptions {
  /** onnxruntime's fused contrib ops (default) or standard ONNX ops only (see exportTextTowerOnnx). */
  fused?: boolean;
}

/** Bump when a converter's output changes, so cached graphs from older converters are not used. */
const CONVERTER_VERSION = 1;

/** The converted graph: from the cache when `cacheKey` names one already written, else built (and cached). */
export async function convertedOnnx(name: string, cacheKey: string | undefined, build: () => Promise<Uint8Array>): Promise<Uint8Array> {
  if (!cacheKey) return build();
  const file = cacheDir('onnx', `${name}.${cacheKey}.v${CONVERTER_VERSION}.onnx`);
  if (existsSync(file)) return readFileSync(file);
  const bytes = await build();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.${process.pid}.tmp`, bytes);
  renameSync(`${file}.${process.pid}.tmp`, file);
  return bytes;
}


export async function loadOnnxTextTower(config: ModelConfig, tensors: Map<string, SafeTensor>, opts: OnnxTextTowerOptions = {}): Promise<OnnxTextTower> {
  const fused = opts.fused ?? true;
  const name = fused ? 'text-tower' : 'text-tower-plain';
  const bytes = await convertedOnnx(name, opts.cacheKey, async () => (await import('./text-tower-onnx-export.js')).exportTextTowerOnnx(config, tensors, { fused }));
  const session = await createSession(bytes, opts.threads);
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
