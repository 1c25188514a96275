/** Library hits as clients see them: paths relative to their folder, a thumbnail URL, no inline blobs. */
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
  return out;
}

export function round(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
