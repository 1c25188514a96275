import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';

/**
 * The settings every graph vlm converts itself runs with (towers, heads, text tower, detector): CPU, one inter-op
 * thread, full graph optimisation, and no busy-waiting between ops, because the cores are shared with other work
 * (decoding, other sessions, other jobs). This module imports onnxruntime only, so the detector's and the text
 * tower's cold start does not pay for tfjs.
 * threads: intra-op threads; 0 = all cores. Default: $VLM_ONNX_THREADS, else all cores.
 */
export function sessionOptions(threads?: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads ?? (Number(process.env.VLM_ONNX_THREADS) || availableParallelism()),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

export function createSession(bytes: Uint8Array, threads?: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, sessionOptions(threads));
}
