import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * A throw-away PostgreSQL + pgvector server on a loopback port: PGlite (Postgres compiled to wasm,
 * with pgvector) behind pglite-socket's wire-protocol server. The pgvector store talks to it with the
 * same `pg` client and SQL as to a real server, so tests, benchmarks and a user trying `--db postgres://`
 * need no installed PostgreSQL. Not for production: one wasm backend, queries run one at a time.
 */
export interface DevPgServer {
  /** connection string for `--db` / openStore */
  url: string;
  /** process serving it (this one, or the child's) */
  pid: number;
  stop(): Promise<void>;
}

export interface DevPgServerOptions {
  /** folder for the database files; in memory when omitted */
  dataDir?: string;
  /** 0 (default) picks a free port */
  port?: number;
  /** loopback only by default */
  host?: string;
  /** client connections served concurrently (multiplexed onto the one backend) */
  maxConnections?: number;
}

/** Starts the server inside this process. */
export async function startDevPgServer(opts: DevPgServerOptions = {}): Promise<DevPgServer> {
  const db = await PGlite.create({ dataDir: opts.dataDir, extensions: { vector } });
  const server = new PGLiteSocketServer({
    db,
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    maxConnections: opts.maxConnections ?? 8,
  });
  await server.start();
  const [host, port] = splitHostPort(server.getServerConn());
  let stopped = false;
  return {
    url: `postgres://postgres@${host}:${port}/postgres`,
    pid: process.pid,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
    },
  };
}

function splitHostPort(conn: string): [string, string] {
  const i = conn.lastIndexOf(':');
  return [conn.slice(0, i), conn.slice(i + 1)];
}

/**
 * Starts the server in a child process, so its wasm backend runs on another core than the client
 * (what a benchmark of client + server should measure). Resolves once it listens.
 */
export function spawnDevPgServer(opts: DevPgServerOptions = {}): Promise<DevPgServer> {
  const args = [fileURLToPath(import.meta.url), '--port', String(opts.port ?? 0), '--exit-with-parent'];
  if (opts.dataDir) args.push('--data', opts.dataDir);
  if (opts.host) args.push('--host', opts.host);
  // stdin stays open as a lifeline: the child exits when it closes, so a crashed parent leaves no orphan
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dev PostgreSQL server exited with code ${code} before listening`)));
    lines.once('line', (line) => {
      const { url } = JSON.parse(line) as { url: string };
      resolve({
        url,
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            // a long query keeps the wasm backend from handling SIGTERM: give it a few seconds
            const force = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(force);
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** `node dist/src/store/dev-pg-server.js [--port N] [--host H] [--data DIR]`: prints {"url"} and serves until killed (or, with --exit-with-parent, until stdin closes). */
async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const server = await startDevPgServer({
    port: Number(arg('--port') ?? 0),
    host: arg('--host'),
    dataDir: arg('--data'),
  });
  process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
  const shutdown = () => void server.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  if (argv.includes('--exit-with-parent')) {
    process.stdin.on('end', shutdown).on('error', shutdown).resume();
  }
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`dev-pg-server: ${(err as Error).message}`);
    process.exit(1);
  });
}
