import type { VectorStore } from '../../store/vector-store.js';
import { filesOf, type LibraryFile } from './library-item.js';
import { assertSameModel } from './model-check.js';

/** What the store holds, as the indexer needs it: copies per image and images per path. */
export interface LibraryState {
  /** image id (content hash) -> its copies */
  files: Map<string, LibraryFile[]>;
  /** path -> ids of the images listing it (one, except after a run was killed between two writes) */
  byPath: Map<string, string[]>;
}

/**
 * Reads every row's copies (no vectors). The store is the only state the indexer keeps, so what was
 * committed before a kill is exactly what the next run finds. Refuses a store filled by another model.
 */
export async function loadLibraryState(store: VectorStore, encoderId: string): Promise<LibraryState> {
  const state: LibraryState = { files: new Map(), byPath: new Map() };
  for await (const batch of store.scan({ withVectors: false, batchSize: 2000 })) {
    for (const item of batch) {
      assertSameModel(item.metadata, encoderId);
      const files = filesOf(item.metadata);
      state.files.set(item.id, files);
      for (const f of files) {
        const ids = state.byPath.get(f.path);
        if (ids) ids.push(item.id);
        else state.byPath.set(f.path, [item.id]);
      }
    }
  }
  return state;
}
