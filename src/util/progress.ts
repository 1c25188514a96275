import cliProgress from 'cli-progress';

/**
 * Progress on stderr with rate and ETA. On a terminal: a live bar. Elsewhere (logs, CI, background jobs): one
 * plain line every 30 s, so long runs still say how far they are. Silent with { quiet } or VLM_QUIET=1.
 */
export interface Progress {
  tick(n?: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

const LOG_EVERY_MS = 30_000;

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

export function progress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet || process.env.VLM_QUIET === '1') return { tick: () => undefined, stop: () => undefined };
  const start = Date.now();
  let done = 0;
  let extra = '';
  const rate = () => done / Math.max(1e-3, (Date.now() - start) / 1000);
  const fieldText = (fields: Record<string, string | number>) => Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');

  if (!process.stderr.isTTY) {
    let last = start;
    const line = () =>
      `${label}: ${done}/${total} (${((100 * done) / Math.max(1, total)).toFixed(1)}%) ${rate().toFixed(1)}/s ETA ${formatEta((total - done) / rate())} ${extra}`.trimEnd();
    return {
      tick(n = 1, fields = {}) {
        done += n;
        extra = fieldText(fields) || extra;
        if (Date.now() - last >= LOG_EVERY_MS) {
          last = Date.now();
          console.error(line());
        }
      },
      stop() {
        if (Date.now() - start >= LOG_EVERY_MS) console.error(line());
      },
    };
  }

  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} |{bar}| {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted} {extra}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { rate: '0', extra: '' });
  return {
    tick(n = 1, fields = {}) {
      done += n;
      bar.update(done, { rate: rate().toFixed(1), extra: fieldText(fields) });
    },
    stop() {
      bar.stop();
    },
  };
}
