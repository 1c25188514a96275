/**
 * `vlm serve`: load the model, open (or create) the library, listen, and bring the index up to date in
 * the background (on a fresh machine that indexes the bundled demo gallery). /readyz says when it is done.
 */
import { existsSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Encoder } from '../encoders/encoder.js';
import { loadEncoder } from '../encoders/load.js';
import { defaultDbPath, openLibraryForIndexing } from '../apps/library/library-db.js';
import { isPostgresSpec } from '../store/open-store.js';
import { UsageError } from '../util/errors.js';
import { log } from '../util/log.js';
import { repoRoot } from '../util/paths.js';
import { buildServer, type VlmServer } from './app.js';
import { DEMO_DIR, demoDbPath } from './data-dir.js';
import type { ServerLimits } from './options.js';
import { parseServerSafety, type ServerSafety } from './safety.js';

export interface StartOptions {
  port?: number;
  host?: string;
  /** folders to serve; default: the bundled demo gallery */
  library?: string[];
  /** LanceDB folder or postgres:// URL; default: <first folder>/.vlm, or a cache folder for the demo */
  db?: string;
  /** model folder (default: the shipped default model) */
  model?: string;
  /** an already loaded encoder (tests); `model` is then only recorded */
  encoder?: Encoder;
  apiKey?: string;
  corsOrigins?: string[];
  /** bring the index up to date at start (default true) */
  index?: boolean;
  limits?: Partial<ServerLimits>;
  webDir?: string;
  logger?: boolean;
  /** the image safety check of indexing: default $VLM_SAFETY (flag|hide|refuse|off[:explicit|suggestive]), else flag */
  safety?: ServerSafety | 'off';
  /** progress lines on stderr (default true) */
  verbose?: boolean;
}

export interface RunningServer extends VlmServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(o: StartOptions = {}): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1';
  const roots = (o.library?.length ? o.library : [DEMO_DIR]).map((r) => resolve(r));
  for (const r of roots) {
    if (!existsSync(r) || !statSync(r).isDirectory()) throw new UsageError(`--library ${r}: not a folder`);
  }
  const say = (msg: string) => { if (o.verbose !== false) log(`vlm serve: ${msg}`); };
  const safety = o.safety ?? (process.env.VLM_SAFETY ? parseServerSafety(process.env.VLM_SAFETY) : undefined);
  const encoder = o.encoder ?? await loadEncoder(o.model);
  const db = o.db ?? (o.library?.length ? defaultDbPath(roots[0]) : demoDbPath(encoder.id));
  const store = await openLibraryForIndexing(roots[0], db, encoder.dim);
  let server: VlmServer;
  try {
    server = await buildServer({
      encoder, store, roots, host, model: o.model, apiKey: o.apiKey, corsOrigins: o.corsOrigins, limits: o.limits, logger: o.logger, safety,
      dbPath: isPostgresSpec(db) ? undefined : resolve(db),
      webDir: o.webDir ?? join(repoRoot, 'web', 'dist'),
    });
    await server.app.listen({ port: o.port ?? 8080, host });
  } catch (e) {
    await store.close();
    if (!o.encoder) await encoder.dispose();
    throw e;
  }
  const addr = server.app.server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  say(`model ${encoder.id}; library ${roots.join(', ')} (index in ${db})`);
  if (o.index !== false) {
    const job = server.library.index(roots);
    let last = -1;
    job.on('progress', (p: { images: number; found?: number }) => {
      if (p.images !== last) say(`indexing: ${p.images} images stored${p.found !== undefined ? `, ${p.found} files found` : ''}`);
      last = p.images;
    });
    job.on('done', (r: { indexed: number; unchanged: number; skipped: unknown[] }[]) => {
      const sum = (k: 'indexed' | 'unchanged') => r.reduce((s, x) => s + x[k], 0);
      say(`index ready: ${sum('indexed')} new, ${sum('unchanged')} unchanged, ${r.reduce((s, x) => s + x.skipped.length, 0)} skipped (safety check: ${server.library.safety.policy})`);
    });
    job.on('failed', (e: Error) => say(`indexing failed: ${e.message}`));
  }
  say(`listening on ${url}  (web app at /, API docs at /docs)`);
  return {
    ...server,
    url,
    async close() {
      await server.app.close();
      await store.close();
      if (!o.encoder) await encoder.dispose();
    },
  };
}
