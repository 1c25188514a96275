import { UsageError } from '../util/errors.js';
import { log } from '../util/log.js';

/**
 * Which runtime runs a model part: 'auto' = onnxruntime where it loads, else tfjs-wasm (the default);
 * 'onnxruntime' = fail rather than fall back; 'tfjs' = tfjs-wasm only ($VLM_TOWER_BACKEND=tfjs).
 */
export type NativeBackend = 'auto' | 'onnxruntime' | 'tfjs';
export type Runtime = 'onnxruntime' | 'tfjs';

export function backendFromEnv(): NativeBackend {
  const v = process.env.VLM_TOWER_BACKEND;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'tfjs' || v === 'onnxruntime') return v;
  throw new UsageError(`VLM_TOWER_BACKEND=${v} is not one of auto, onnxruntime, tfjs`);
}

/**
 * onnxruntime first (native, all cores), tfjs-wasm when onnxruntime cannot run here: the one place that
 * choice is made, for the encoder, the captioner's maps and the dense explainer alike.
 */
export async function preferOnnx<T>(what: string, backend: NativeBackend, onnx: () => Promise<T>, tfjs: () => Promise<T>): Promise<T> {
  if (backend !== 'tfjs') {
    try {
      return await onnx();
    } catch (err) {
      if (backend === 'onnxruntime') throw err;
      log(`vlm: onnxruntime ${what} unavailable (${(err as Error).message}); using tfjs-wasm`);
    }
  }
  return tfjs();
}
