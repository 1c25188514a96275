/**
 * A real server over a small real library: the tiny random-weight CLIP fixture checkpoint (ONNX, the
 * same code path as a downloaded CLIP folder), a LanceDB store in a temp folder, and demo photos.
 */
import { after, before } from 'node:test';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { writeFixture } from '../../scripts/fixtures/checkpoints.js';
import { loadOnnxEncoder } from '../../src/encoders/onnx/index.js';
import type { Encoder } from '../../src/encoders/encoder.js';
import { openStore } from '../../src/store/open-store.js';
import type { VectorStore } from '../../src/store/vector-store.js';
import { buildServer, type VlmServer } from '../../src/server/app.js';
import type { ServerOptions } from '../../src/server/options.js';
import { repoRoot } from '../../src/util/paths.js';
import { pngHeaderOnly } from '../image/fixtures.js';

export const DEMO = join(repoRoot, 'assets', 'demo');
export const PHOTOS = ['cat.jpg', 'coffee.jpg', 'dog-bicycle-truck.jpg', 'horses.jpg', 'rocket.jpg'];

export interface TestLibrary {
  dir: string;
  /** the library root: the photos, an exact copy of cat.jpg in a subfolder, a link to outside */
  root: string;
  /** a folder next to the root with a file the server must never serve */
  outside: string;
  db: string;
  encoder: Encoder;
  store: VectorStore;
  cleanup(): Promise<void>;
}

export async function makeLibrary(): Promise<TestLibrary> {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-server-'));
  const root = join(dir, 'photos');
  const outside = join(dir, 'private');
  mkdirSync(join(root, 'album'), { recursive: true });
  mkdirSync(outside);
  for (const p of PHOTOS) copyFileSync(join(DEMO, p), join(root, p));
  copyFileSync(join(DEMO, 'cat.jpg'), join(root, 'album', 'cat-copy.jpg'));
  copyFileSync(join(DEMO, 'eagle.jpg'), join(outside, 'secret.jpg'));
  writeFileSync(join(outside, 'secret.txt'), 'top secret\n');
  symlinkSync(outside, join(root, 'link-out'));
  const model = writeFixture('clip', join(dir, 'model')).dir;
  const encoder = await loadOnnxEncoder(model, { threads: 1 });
  const db = join(dir, 'db');
  const store = await openStore(db, { dim: encoder.dim, defaultPath: db });
  return {
    dir, root, outside, db, encoder, store,
    async cleanup() {
      await store.close();
      await encoder.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A server over the library, indexed (the first index job finished). */
export async function makeServer(lib: TestLibrary, opts: Partial<ServerOptions> = {}): Promise<VlmServer> {
  const server = await buildServer({ encoder: lib.encoder, store: lib.store, roots: [lib.root], dbPath: lib.db, ...opts });
  const job = server.library.index([lib.root]);
  await job.finished;
  if (job.error) throw job.error;
  return server;
}

/** One indexed server over a fresh library for a whole test file: made before its tests, closed after them. */
export function serverPerFile(opts: Partial<ServerOptions> = {}, onClose?: () => Promise<void>): { readonly lib: TestLibrary; readonly server: VlmServer } {
  let lib: TestLibrary | undefined;
  let server: VlmServer | undefined;
  before(async () => {
    lib = await makeLibrary();
    server = await makeServer(lib, opts);
  });
  after(async () => {
    await server?.app.close();
    await lib?.cleanup();
    await onClose?.();
  });
  return {
    get lib() {
      return lib!;
    },
    get server() {
      return server!;
    },
  };
}

/** A multipart/form-data body: text fields and files. */
export function multipart(fields: [string, string | { file: Buffer; name: string; type?: string }][]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----vlmtest${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, v] of fields) {
    if (typeof v === 'string') {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${v}\r\n`));
    } else {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${v.name}"\r\nContent-Type: ${v.type ?? 'image/jpeg'}\r\n\r\n`), v.file, Buffer.from('\r\n'));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/**
 * A valid-looking PNG whose header claims width x height (a decompression bomb's calling card):
 * a tiny IDAT that would inflate to gigabytes if anyone tried to decode it.
 */
export function bombPng(width = 20000, height = 20000): Buffer {
  return pngHeaderOnly(width, height, deflateSync(Buffer.alloc(64 * 1024))); // the start of the zero rows; the rest is "missing"
}
