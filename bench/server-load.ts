/**
 * Load test of `vlm serve` over loopback: 50 clients search by text as fast as they can for 30 s
 * against a server in its own process (so its RSS is the server's alone). Counts answers by status:
 * under overload the only acceptable error is 503 + Retry-After. Reports p50/p99 latency of the 200s,
 * throughput, and the server's RSS before and after (growth must stay within 10%).
 *
 *   node dist/bench/server-load.js [--model DIR] [--clients 50] [--seconds 30]
 *   npm run bench -- server-load            (once registered in bench/run.ts)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFixture } from '../scripts/fixtures/checkpoints.js';
import { cacheDir, defaultModelDir } from '../src/util/paths.js';
import { percentile, writeResult, type Benchmark } from './harness.js';

const QUERIES = [
  'a dog', 'a cat', 'people flying kites on the beach', 'a cup of coffee', 'a rocket launch', 'horses in a field', 'a red flower',
  'a street sign', 'a forest path', 'boats at sunset', 'a butterfly', 'fruit', 'a building', 'a lake at dusk', 'a bird of prey',
  '一只猫', '一只狗', '海滩上的人', '一杯咖啡', '红色的花', '湖边的船', '森林里的小路', '一个人骑马',
];

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Starts the server in a child process on a free loopback port; resolves with its URL once the index is ready. */
async function startChild(model: string): Promise<{ child: ChildProcess; url: string }> {
  const start = new URL('../src/server/start.js', import.meta.url).href; // beside this file's compiled copy
  const script = `const { startServer } = await import(${JSON.stringify(start)});
    const s = await startServer({ port: 0, host: '127.0.0.1', model: ${JSON.stringify(model)}, verbose: false });
    await s.library.job?.finished;
    process.stdout.write('URL ' + s.url + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /URL (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready`)));
  });
  return { child, url };
}

export const serverLoad: Benchmark = {
  name: 'server-load',
  description: '50 clients x 30 s of GET /v1/search on loopback: latency, throughput, 503s, server RSS',
  async run(args) {
    const clients = Number(arg(args, 'clients') ?? 50);
    const seconds = Number(arg(args, 'seconds') ?? 30);
    let model = arg(args, 'model') ?? defaultModelDir;
    let modelNote = 'default model';
    try {
      readFileSync(join(model, 'config.json'));
    } catch {
      model = writeFixture('clip', cacheDir('fixtures', 'bench-server-clip')).dir;
      modelNote = 'tiny random CLIP fixture (the default model is missing)';
    }
    const { child, url } = await startChild(model);
    try {
      if (!url.startsWith('http://127.0.0.1:')) throw new Error(`refusing to load a non-loopback address: ${url}`);
      const info = (await (await fetch(`${url}/v1/info`)).json()) as { model: string; images: number };
      const search = async (i: number) => {
        const q = QUERIES[i % QUERIES.length];
        const t0 = performance.now();
        try {
          const r = await fetch(`${url}/v1/search?q=${encodeURIComponent(q)}&k=24`);
          await r.arrayBuffer();
          return { status: r.status, ms: performance.now() - t0, retryAfter: r.headers.get('retry-after') };
        } catch {
          return { status: 0, ms: performance.now() - t0, retryAfter: null };
        }
      };
      // warm up (first queries compile kernels, fill caches), then take the baseline RSS
      for (let i = 0; i < 40; i++) await search(i);
      await new Promise((r) => setTimeout(r, 1000));
      const rssBefore = rssMiB(child.pid!);

      const latencies: number[] = [];
      const statuses = new Map<number, number>();
      let missingRetryAfter = 0;
      const deadline = performance.now() + seconds * 1000;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: clients }, async (_, c) => {
        for (let i = c; performance.now() < deadline; i += clients) {
          const r = await search(i);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 200) latencies.push(r.ms);
          else if (r.status === 503) {
            if (!r.retryAfter) missingRetryAfter++;
            await new Promise((res) => setTimeout(res, 50)); // a polite client backs off a little
          }
        }
      }));
      const wall = (performance.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, 2000));
      const rssAfter = rssMiB(child.pid!);
      latencies.sort((a, b) => a - b);
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      const errors = total - (statuses.get(200) ?? 0) - (statuses.get(503) ?? 0);
      const growth = rssAfter / rssBefore - 1;
      return {
        model: info.model, model_note: modelNote, images: info.images, clients, seconds: wall,
        requests: total, ok: statuses.get(200) ?? 0, rejected_503: statuses.get(503) ?? 0, errors_other: errors,
        statuses: Object.fromEntries(statuses), missing_retry_after: missingRetryAfter,
        throughput_ok_per_s: +((statuses.get(200) ?? 0) / wall).toFixed(1),
        p50_ms: +percentile(latencies, 50).toFixed(1), p99_ms: +percentile(latencies, 99).toFixed(1),
        rss_before_mib: +rssBefore.toFixed(1), rss_after_mib: +rssAfter.toFixed(1), rss_growth: +growth.toFixed(3),
        passes: errors === 0 && missingRetryAfter === 0 && growth <= 0.1,
      };
    } finally {
      child.kill('SIGTERM');
    }
  },
};

// run directly: node dist/bench/server-load.js [...]
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  serverLoad.run(process.argv.slice(2)).then((r) => {
    const path = writeResult(serverLoad.name, r);
    console.log(JSON.stringify({ benchmark: serverLoad.name, file: path, ...r }));
    process.exit(r.passes ? 0 : 1);
  }, (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
