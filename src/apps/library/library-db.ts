/**
 * Where a library's vectors live: `--db` (a LanceDB folder or a postgres:// URL), else `.vlm/` inside
 * the indexed folder. Commands other than `index` look for that `.vlm/` in the current folder and
 * its parents, the way git finds its repository.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isPostgresSpec, openStore } from '../../store/open-store.js';
import type { VectorStore } from '../../store/vector-store.js';
import { VlmError } from '../../util/errors.js';

export const LIBRARY_DIR = '.vlm';
/** the LanceDB table folder inside a library folder (LanceDbStore's default table 'vectors') */
const TABLE_DIR = 'vectors.lance';

export function defaultDbPath(root: string): string {
  return join(resolve(root), LIBRARY_DIR);
}

/** The nearest `<dir>/.vlm` holding a library, from `from` upwards. */
export function findLibraryDb(from: string = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, LIBRARY_DIR);
    if (existsSync(join(candidate, TABLE_DIR))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** For `index`: the store to fill (created when missing). */
export function openLibraryForIndexing(root: string, db: string | undefined, dim: number): Promise<VectorStore> {
  return openStore(db, { dim, defaultPath: defaultDbPath(root) });
}

/** For search, similar, dupes, recommend: an existing library, never an empty one created by mistake. */
export async function openExistingLibrary(db: string | undefined, dim?: number): Promise<VectorStore> {
  const spec = db ?? findLibraryDb();
  if (spec === undefined) {
    throw new VlmError(`no library found in ${process.cwd()} or its parents: run "vlm index <folder>" first, or pass --db PATH|postgres://...`);
  }
  if (!isPostgresSpec(spec) && !existsSync(join(resolve(spec), TABLE_DIR))) {
    throw new VlmError(`no library at ${resolve(spec)}: run "vlm index <folder> --db ${spec}" first`);
  }
  const store = await openStore(spec, { dim, defaultPath: spec });
  if ((await store.count()) === 0) {
    await store.close();
    throw new VlmError(`the library at ${isPostgresSpec(spec) ? 'that PostgreSQL database' : resolve(spec)} is empty: run "vlm index <folder>" first`);
  }
  return store;
}
