/** Hash routes, so the server needs no fallback for deep links: #/search?q=, #/image/ID, #/like/ID, #/dupes[?threshold=T]. */
export type Route =
  | { view: 'search'; q: string }
  | { view: 'image'; id: string }
  | { view: 'like'; id: string }
  | { view: 'dupes'; threshold?: number };

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'image' && parts[1]) return { view: 'image', id: parts[1] };
  if (parts[0] === 'like' && parts[1]) return { view: 'like', id: parts[1] };
  if (parts[0] === 'dupes') {
    const t = Number(new URLSearchParams(query).get('threshold') ?? NaN);
    return t > 0 && t <= 1 ? { view: 'dupes', threshold: t } : { view: 'dupes' };
  }
  return { view: 'search', q: new URLSearchParams(query).get('q') ?? '' };
}

export const href = {
  search: (q: string) => `#/search?q=${encodeURIComponent(q)}`,
  image: (id: string) => `#/image/${id}`,
  like: (id: string) => `#/like/${id}`,
  dupes: (threshold?: number) => (threshold === undefined ? '#/dupes' : `#/dupes?threshold=${threshold}`),
};
