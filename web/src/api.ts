/** The vlm HTTP API as typed calls (same origin: the server serves this app). */

export interface Hit {
  id: string;
  path: string;
  score: number;
  width?: number;
  height?: number;
  date?: string;
  thumbnail: string;
}

export interface LabelScore { label: string; score: number }

export interface Info {
  model: string;
  images: number;
  features: { caption: boolean; ask: boolean; explain: boolean };
  ready: boolean;
  indexing: { images: number; found?: number } | null;
  limits: { maxUploadBytes: number };
}

export interface ImageInfo {
  id: string;
  path: string;
  paths: string[];
  width?: number;
  height?: number;
  format?: string;
  size?: number;
  date?: string;
  dateSource?: string;
  camera?: string;
  gps?: { lat: number; lon: number };
  urls: { thumbnail: string; preview: string; original: string };
}

export interface DupeGroup {
  kind: 'exact' | 'near';
  keeper: string;
  reason: string;
  files: { id: string; path: string; similarity: number; width: number; height: number; size: number; thumbnail: string }[];
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  const text = await r.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text };
  }
  if (!r.ok) throw new ApiError(r.status, (body as { message?: string }).message ?? `${r.status} ${r.statusText}`);
  return body as T;
}

const post = <T>(url: string, body: unknown) => call<T>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** An uploaded file as a multipart form with extra text fields. */
function form(file: File, fields: Record<string, string | string[]>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) f.append(k, x);
  f.append('image', file, file.name || 'image');
  return f;
}

export const api = {
  info: () => call<Info>('/v1/info'),
  search: (q: string, k = 48) => call<{ results: Hit[] }>(`/v1/search?q=${encodeURIComponent(q)}&k=${k}`),
  searchImage: (file: File, q?: string, k = 48) =>
    call<{ results: Hit[] }>('/v1/search', { method: 'POST', body: form(file, { k: String(k), ...(q ? { q } : {}) }) }),
  similar: (id: string, k = 24) => post<{ results: Hit[] }>('/v1/search', { id, k }),
  recommend: (like: string[], k = 24) => post<{ results: Hit[] }>('/v1/recommend', { like, k }),
  classifyFile: (file: File, labels: string[]) =>
    call<{ labels: LabelScore[] }>('/v1/classify', { method: 'POST', body: form(file, { labels }) }),
  classifyId: (id: string, labels: string[]) => post<{ labels: LabelScore[] }>('/v1/classify', { id, labels }),
  imageInfo: (id: string) => call<ImageInfo>(`/v1/images/${id}/info`),
  dupes: (threshold?: number) => call<{ images: number; groups: DupeGroup[] }>(threshold === undefined ? '/v1/dupes' : `/v1/dupes?threshold=${threshold}`),
  caption: (id: string) => post<{ caption: string }>('/v1/caption', { id }),
  explainPng: async (id: string, text: string): Promise<string> => {
    const r = await fetch('/v1/explain', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, text, format: 'png' }) });
    if (!r.ok) throw new ApiError(r.status, ((await r.json().catch(() => ({}))) as { message?: string }).message ?? r.statusText);
    return URL.createObjectURL(await r.blob());
  },
};

/** "dog, cat，car" -> ["dog","cat","car"] (the Chinese comma separates too). */
export function parseLabels(s: string): string[] {
  return [...new Set(s.split(/[,，\n]/).map((x) => x.trim()).filter(Boolean))];
}
