import { InvalidArgumentError, type Command } from 'commander';
import { action } from '../run.js';
import { modelOption, parseList, parsePositiveInt } from '../options.js';
import { parseServerSafety, type ServerSafety } from '../../server/safety.js';

interface ServeOpts {
  port: number;
  host: string;
  library: string[];
  db?: string;
  model?: string;
  apiKey?: string;
  cors?: string;
  index: boolean;
  maxUploadMb: number;
  timeout: number;
  concurrency: number;
  queue: number;
  log?: boolean;
  safety?: ServerSafety | 'off';
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return n;
}

/** `vlm serve`: the HTTP API and the web app over a library (by default the bundled demo gallery). */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the web app and HTTP API (search, classify, embed) on http://127.0.0.1:8080')
    .option('--port <n>', 'port (0 = any free port)', parsePort, 8080)
    .option('--host <addr>', 'address to bind; anything but loopback needs --api-key', '127.0.0.1')
    .option('--library <dir>', 'a folder of images to serve (repeatable; default: the bundled demo gallery)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--db <path|url>', 'where the library index lives: a LanceDB folder or postgres://... (default: <first folder>/.vlm)')
    .addOption(modelOption())
    .option('--api-key <key>', 'key for write endpoints (also $VLM_API_KEY); required off loopback')
    .option('--cors <origins>', 'allow these origins (comma-separated) to call the API from other pages; off by default')
    .option('--no-index', 'do not bring the index up to date at start')
    .option('--max-upload-mb <n>', 'largest image upload, MiB', parsePositiveInt, 16)
    .option('--timeout <s>', 'seconds a request may wait and run before a 503', parsePositiveInt, 30)
    .option('--concurrency <n>', 'model/store jobs at once', parsePositiveInt, 2)
    .option('--queue <n>', 'jobs waiting before new requests get 503 + Retry-After', parsePositiveInt, 32)
    .option('--log', 'log every request (JSON lines on stdout)')
    .option('--safety <policy>', 'nsfwjs check of indexed images: flag (default; mark), hide (leave out of searches), refuse (do not index) or off; also $VLM_SAFETY', (v: string) => {
      try { return parseServerSafety(v); } catch (e) { throw new InvalidArgumentError((e as Error).message); }
    })
    .action(action(async (opts: ServeOpts) => {
      const { startServer } = await import('../../server/start.js');
      const server = await startServer({
        port: opts.port,
        host: opts.host,
        library: opts.library,
        db: opts.db,
        model: opts.model,
        apiKey: opts.apiKey ?? process.env.VLM_API_KEY,
        corsOrigins: opts.cors ? parseList(opts.cors) : undefined,
        index: opts.index,
        logger: opts.log,
        safety: opts.safety,
        limits: { maxUploadBytes: opts.maxUploadMb * 1024 * 1024, timeoutMs: opts.timeout * 1000, concurrency: opts.concurrency, maxQueued: opts.queue },
      });
      const stop = () => {
        process.stderr.write('vlm serve: stopping\n');
        server.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }));
}
