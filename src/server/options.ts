import type { Encoder } from '../encoders/encoder.js';
import { DEFAULT_IMAGE_LIMITS } from '../image/limits.js';
import type { VectorStore } from '../store/vector-store.js';
import type { FeatureOverrides } from './features.js';
import type { ServerSafety } from './safety.js';

/** Caps on what one request may cost; every one is an option of `vlm serve`'s server. */
export interface ServerLimits {
  /** encoded image bytes per upload (multipart file or decoded base64) */
  maxUploadBytes: number;
  /** width * height read from the image header, refused before any pixel is decoded */
  maxPixels: number;
  /** queue wait + work per request, ms */
  timeoutMs: number;
  /** encoder/store jobs running at once (the machine's cores, by default) */
  concurrency: number;
  /** jobs waiting for a slot before new ones get 503 */
  maxQueued: number;
  /** texts per /v1/embeddings request */
  maxTexts: number;
  /** images per /v1/embeddings request */
  maxImages: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxUploadBytes: 16 * 1024 * 1024,
  maxPixels: DEFAULT_IMAGE_LIMITS.maxPixels,
  timeoutMs: 30_000,
  concurrency: 2,
  maxQueued: 32,
  maxTexts: 64,
  maxImages: 8,
});

export interface ServerOptions {
  encoder: Encoder;
  /** the library's vector store (open; the server does not close it) */
  store: VectorStore;
  /** folders the library indexes; no file outside them is ever read or served */
  roots: string[];
  /** folder of the store, when it is a LanceDB folder (kept out of indexing walks) */
  dbPath?: string;
  /** the --model folder, recorded in the library */
  model?: string;
  /** the address the server will bind: a non-loopback one requires apiKey */
  host?: string;
  /** required (Authorization: Bearer KEY or X-API-Key) on write endpoints when set */
  apiKey?: string;
  /** origins allowed by CORS; off (same origin only) by default */
  corsOrigins?: string[];
  /** the built web app (web/dist); a hint page is served when it is missing */
  webDir?: string;
  limits?: Partial<ServerLimits>;
  /** optional apps (caption, ask, explain): the registry in features.ts, unless replaced or turned off (null) here */
  features?: FeatureOverrides;
  /**
   * the image safety check on everything the server indexes (nsfwjs, as `vlm index --safety`):
   * default { policy: 'flag' }; 'off' indexes without it
   */
  safety?: ServerSafety | 'off';
  /** Fastify's logger (pino) on stderr */
  logger?: boolean;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|\[::1\]|localhost|::ffff:127(\.\d{1,3}){3})$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host.trim());
}

export function resolveLimits(l: Partial<ServerLimits> = {}): ServerLimits {
  const out = { ...DEFAULT_LIMITS, ...l };
  for (const [k, v] of Object.entries(out)) {
    if (!(typeof v === 'number' && v >= (k === 'maxQueued' ? 0 : 1))) throw new RangeError(`server limits: ${k} must be a positive number, got ${v}`);
  }
  return out;
}
