/** Library hits as clients see them: paths relative to their folder, a thumbnail URL, no inline blobs. */
import { pathsOf } from '../apps/library/library-item.js';
import type { LibraryHit } from '../apps/library/search.js';
import type { LibraryRoots } from './roots.js';

export interface ApiHit {
  id: string;
  path: string;
  score: number;
  width?: number;
  height?: number;
  date?: string;
  thumbnail: string;
  [extra: string]: unknown;
}

export function apiHit(h: LibraryHit, roots: LibraryRoots): ApiHit {
  const md = h.metadata;
  const out: ApiHit = { id: h.id, path: roots.display(h.path), score: round(h.score), thumbnail: `/v1/images/${h.id}?size=thumb` };
  if (typeof md.width === 'number') out.width = md.width;
  if (typeof md.height === 'number') out.height = md.height;
  if (typeof md.date === 'string') out.date = md.date;
  const s = md.safety as { flagged?: unknown; unsafe?: unknown; top?: unknown } | undefined;
  if (s && typeof s.flagged === 'boolean') out.safety = { flagged: s.flagged, unsafe: s.unsafe, top: s.top };
  return out;
}

export function round(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}

/**
 * Only images with a copy inside the library folders (after resolving links) are shown: the server
 * would refuse to serve the others, so listing them would only show broken pictures.
 */
export async function visibleHits<T extends LibraryHit>(hits: T[], roots: LibraryRoots): Promise<T[]> {
  const shown = await Promise.all(hits.map(async (h): Promise<T | undefined> => {
    const paths = [h.path, ...pathsOf(h.metadata).filter((p) => p !== h.path)];
    for (const p of paths) if (await roots.allowed(p)) return { ...h, path: p };
    return undefined;
  }));
  return shown.filter((h) => h !== undefined);
}
