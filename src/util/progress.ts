import cliProgress from 'cli-progress';

/** A progress bar on stderr with rate and ETA; silent when stderr is not a terminal or VLM_QUIET is set. */
export interface Progress {
  tick(n?: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function progress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  const quiet = opts.quiet || !process.stderr.isTTY || process.env.VLM_QUIET === '1';
  if (quiet) {
    return { tick: () => undefined, stop: () => undefined };
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
  const start = Date.now();
  let done = 0;
  bar.start(total, 0, { rate: '0', extra: '' });
  return {
    tick(n = 1, fields = {}) {
      done += n;
      const rate = (done / Math.max(1e-3, (Date.now() - start) / 1000)).toFixed(1);
      const extra = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');
      bar.update(done, { rate, extra });
    },
    stop() {
      bar.stop();
    },
  };
}
