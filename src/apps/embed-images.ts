import type { Encoder } from '../encoders/encoder.js';
import type { ImageInput } from '../image/types.js';
import { InputError } from '../util/errors.js';

export type EmbedResult<T> = { item: T; embedding: Float32Array } | { item: T; error: string };

/**
 * Embeds many images in batches and never lets one bad image sink the rest: a batch that fails is
 * retried item by item, so each unreadable input gets its own error and the good ones their embeddings.
 */
export async function* embedImagesSafely<T extends ImageInput>(
  encoder: Encoder,
  items: T[],
  batchSize = 16,
): AsyncGenerator<EmbedResult<T>> {
  for (let i = 0; i < items.length; i += batchSize) {
    const batch = items.slice(i, i + batchSize);
    let vecs: Float32Array[] | undefined;
    try {
      vecs = await encoder.embedImages(batch);
    } catch (err) {
      if (!(err instanceof InputError)) throw err; // a real failure, not a bad image: stop
    }
    if (vecs) {
      for (let j = 0; j < batch.length; j++) yield { item: batch[j], embedding: vecs[j] };
      continue;
    }
    for (const item of batch) {
      try {
        const [v] = await encoder.embedImages([item]);
        yield { item, embedding: v };
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        yield { item, error: message(err) };
      }
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
