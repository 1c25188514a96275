/**
 * onnxruntime-node sessions for the towers: CPU only, a fixed intra-op thread count (vlm shares
 * 2 cores between sessions), and float16 inputs/outputs converted so callers only see float32.
 */
import { availableParallelism } from 'node:os';
import ort from 'onnxruntime-node';
import { VlmError } from '../../util/errors.js';
import { floatsToHalf, halfToFloats } from './float16.js';

export interface SessionOptions {
  /** intra-op threads; default $VLM_ONNX_THREADS, else all cores. */
  threads?: number;
}

export type Feed = { type: 'int'; data: number[]; dims: number[] } | { type: 'float'; data: Float32Array; dims: number[] };

export class TowerSession {
  private constructor(
    readonly file: string,
    private readonly session: ort.InferenceSession,
  ) {}

  static async open(file: string, opts: SessionOptions = {}): Promise<TowerSession> {
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new VlmError(`threads must be a positive integer, got ${threads}`);
    try {
      const session = await ort.InferenceSession.create(file, {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
      return new TowerSession(file, session);
    } catch (err) {
      throw new VlmError(`cannot load ${file}: ${(err as Error).message.split('\n')[0]} (is the file complete? re-download it)`, { cause: err });
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Last dimension of an output when the graph states it statically. */
  outputWidth(name: string): number | undefined {
    const meta = this.session.outputMetadata.find((m) => m.name === name);
    const last = meta && meta.isTensor ? meta.shape[meta.shape.length - 1] : undefined;
    return typeof last === 'number' && last > 0 ? last : undefined;
  }

  private inputType(name: string): string | undefined {
    const meta = this.session.inputMetadata.find((m) => m.name === name);
    return meta && meta.isTensor ? meta.type : undefined;
  }

  /** Runs the graph and returns the requested output as float32 with its dims. */
  async run(feeds: Record<string, Feed>, output: string): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) {
      const type = this.inputType(name);
      if (f.type === 'int') {
        tensors[name] = type === 'int32' ? new ort.Tensor('int32', Int32Array.from(f.data), f.dims) : new ort.Tensor('int64', BigInt64Array.from(f.data, BigInt), f.dims);
      } else {
        tensors[name] = type === 'float16' ? new ort.Tensor('float16', floatsToHalf(f.data), f.dims) : new ort.Tensor('float32', f.data, f.dims);
      }
    }
    const result = await this.session.run(tensors, [output]);
    const t = result[output];
    try {
      if (t.type === 'float32') return { data: t.data as Float32Array, dims: t.dims };
      if (t.type === 'float16') return { data: halfToFloats(t.data as Uint16Array), dims: t.dims };
      throw new VlmError(`${this.file}: output ${output} has type ${t.type}, expected float32 or float16`);
    } finally {
      for (const v of Object.values(result)) if (v !== t) v.dispose();
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
