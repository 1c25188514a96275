import { VlmError } from '../util/errors.js';
import type { VectorItem } from './vector-store.js';

/** A vector of the wrong size: the store was built with another encoder. */
export function dimMismatch(where: string, expected: number, got: number): VlmError {
  return new VlmError(
    `${where} holds ${expected}-d vectors but got ${got}-d ones: the store was built with another model; ` +
      'use a different --db or re-index with the same model',
  );
}

/** Refuses vectors of the wrong size or with NaN/Infinity (they would poison cosine search). */
export function checkVector(where: string, v: Float32Array, dim: number): void {
  if (v.length !== dim) throw dimMismatch(where, dim, v.length);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new VlmError(`${where}: vector has a non-finite value at ${i}`);
  }
}

/**
 * Last write wins for repeated ids within one batch: both a SQL ON CONFLICT and a LanceDB
 * merge-insert refuse to touch the same row twice in one statement.
 */
export function dedupeById(items: VectorItem[]): VectorItem[] {
  const byId = new Map<string, VectorItem>();
  for (const item of items) {
    if (typeof item.id !== 'string' || item.id.length === 0) throw new VlmError('vector store: every item needs a non-empty string id');
    byId.delete(item.id); // keep insertion order of the last occurrence
    byId.set(item.id, item);
  }
  return [...byId.values()];
}

/** Serialises async work (writes to one table): concurrent upserts on one store must not race. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
