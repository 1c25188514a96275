import type { Encoder, Lang } from '../encoders/encoder.js';
import type { ImageInput } from '../image/types.js';
import { progress } from '../util/progress.js';

export interface BatchOptions {
  /** Items per encoder call (default 64): large enough to amortise per-call overhead, small enough to bound memory. */
  batchSize?: number;
  /** Progress-bar label; the bar goes to stderr and is silent when stderr is not a terminal. */
  label?: string;
  quiet?: boolean;
}

async function batched<T>(items: T[], embed: (batch: T[]) => Promise<Float32Array[]>, opts: BatchOptions, what: string): Promise<Float32Array[]> {
  const size = Math.max(1, opts.batchSize ?? 64);
  const bar = progress(opts.label ?? what, items.length, { quiet: opts.quiet });
  const out: Float32Array[] = [];
  try {
    for (let i = 0; i < items.length; i += size) {
      const batch = items.slice(i, i + size);
      const vecs = await embed(batch);
      if (vecs.length !== batch.length) throw new Error(`encoder returned ${vecs.length} embeddings for ${batch.length} ${what}`);
      out.push(...vecs);
      bar.tick(batch.length);
    }
  } finally {
    bar.stop();
  }
  return out;
}

export function embedImagesBatched(encoder: Encoder, inputs: ImageInput[], opts: BatchOptions = {}): Promise<Float32Array[]> {
  return batched(inputs, (b) => encoder.embedImages(b), opts, 'images');
}

export function embedTextsBatched(encoder: Encoder, texts: string[], opts: BatchOptions & { lang?: Lang } = {}): Promise<Float32Array[]> {
  return batched(texts, (b) => encoder.embedTexts(b, opts.lang ? { lang: opts.lang } : undefined), opts, 'texts');
}
