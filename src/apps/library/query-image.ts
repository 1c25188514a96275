import type { Encoder } from '../../encoders/encoder.js';
import type { VectorStore } from '../../store/vector-store.js';
import { InputError } from '../../util/errors.js';
import { readAndHash } from './hash.js';
import { assertSameModel } from './model-check.js';

/** An example image given by path: its content id (shared by exact copies) and vector. */
export interface QueryImage {
  path: string;
  id: string;
  vector: Float32Array;
  /** true when the library holds this content (its stored vector is used, nothing is embedded) */
  inLibrary: boolean;
}

/**
 * Inside the library (any copy, found by content hash) the stored vector is reused; outside it the
 * file is embedded. Either way the id lets callers exclude the image and its identical copies.
 */
export async function resolveQueryImage(store: VectorStore, encoder: Encoder, path: string): Promise<QueryImage> {
  let data: Buffer, id: string;
  try {
    ({ data, hash: id } = await readAndHash(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `image not found: ${path}` : `cannot read ${path} (${code ?? (e as Error).message})`);
  }
  const [stored] = await store.get([id]);
  if (stored) {
    assertSameModel(stored.metadata, encoder.id);
    return { path, id, vector: stored.vector, inLibrary: true };
  }
  const [vector] = await encoder.embedImages([data]).catch((e: unknown) => {
    if (e instanceof InputError) throw new InputError(`${path}: ${e.message}`);
    throw e;
  });
  return { path, id, vector, inLibrary: false };
}

/** Normalised weighted sum of unit vectors (weights need not sum to 1). */
export function combine(parts: { vector: Float32Array; weight: number }[]): Float32Array {
  const dim = parts[0].vector.length;
  const out = new Float32Array(dim);
  for (const { vector, weight } of parts) for (let i = 0; i < dim; i++) out[i] += weight * vector[i];
  let n = 0;
  for (let i = 0; i < dim; i++) n += out[i] * out[i];
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < dim; i++) out[i] /= n;
  return out;
}

export function mean(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0].length);
  for (const v of vectors) for (let i = 0; i < v.length; i++) out[i] += v[i] / vectors.length;
  return out;
}
