import { resolve } from 'node:path';
import type { VectorStore } from './vector-store.js';

export interface OpenStoreOptions {
  /** vector size of the encoder in use: creates a new store, and is checked against an existing one */
  dim?: number;
  /** LanceDB folder used when no spec is given (the CLI passes one beside the library) */
  defaultPath: string;
}

/** True for a PostgreSQL connection string (`postgres://` or `postgresql://`). */
export function isPostgresSpec(spec: string | undefined): boolean {
  return spec !== undefined && /^postgres(ql)?:\/\//i.test(spec.trim());
}

/**
 * The `--db` option: a PostgreSQL URL opens the pgvector store, anything else is a LanceDB folder
 * (default: opts.defaultPath). Backends load lazily so one never pays for the other's startup.
 */
export async function openStore(spec: string | undefined, opts: OpenStoreOptions): Promise<VectorStore> {
  const s = spec?.trim();
  if (s && isPostgresSpec(s)) {
    const { openPgVectorStore } = await import('./pgvector-store.js');
    return openPgVectorStore(s, { dim: opts.dim });
  }
  const { openLanceDbStore } = await import('./lancedb-store.js');
  return openLanceDbStore(resolve(s || opts.defaultPath), { dim: opts.dim });
}
