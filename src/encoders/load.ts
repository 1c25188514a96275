import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultModelDir } from '../util/paths.js';
import { VlmError } from '../util/errors.js';
import type { Encoder } from './encoder.js';

export interface LoadEncoderOptions {
  /** onnx checkpoints: which weights file variant to use */
  variant?: 'fp32' | 'quantized' | 'fp16';
}

/**
 * Resolves a model folder to an Encoder: the shipped default model when no folder is given,
 * a Hugging Face / transformers.js ONNX layout (onnx/*.onnx) through the onnx backend, else our own format.
 * Backends are imported lazily so a command pays only for the one it uses (cold start).
 */
export async function loadEncoder(dir?: string, opts: LoadEncoderOptions = {}): Promise<Encoder> {
  const modelDir = resolve(dir ?? defaultModelDir);
  if (!existsSync(modelDir) || !statSync(modelDir).isDirectory()) {
    throw new VlmError(
      dir
        ? `model folder not found: ${modelDir} (pass a folder with config.json, see docs/pretrained.md)`
        : `the default model is missing at ${modelDir}: reinstall vlm or pass --model <dir>`,
    );
  }
  // Sniff the layout without importing onnxruntime: an onnx/ folder means a transformers.js-style checkpoint.
  if (existsSync(join(modelDir, 'onnx'))) {
    const onnx = await import('./onnx/index.js');
    return onnx.loadOnnxEncoder(modelDir, { variant: opts.variant });
  }
  const native = await import('./native.js');
  return native.loadNativeEncoder(modelDir);
}
