export interface ParallelMapOptions {
  /** calls of fn in flight */
  concurrency: number;
  /** finished results allowed to wait for the consumer (backpressure bound; default = concurrency) */
  buffer?: number;
}

/**
 * Maps items through an async fn with a bounded number of calls in flight, yielding results as they
 * finish (not in input order). Unlike a plain async generator, work goes on while the consumer is busy
 * (e.g. waiting for the encoder): that is what overlaps reading/decoding the next images with
 * embedding the current ones. fn should not throw; if it does, the error surfaces at the next pull.
 */
export async function* parallelMap<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, opts: ParallelMapOptions): AsyncGenerator<R> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency));
  const buffer = Math.max(concurrency, Math.floor(opts.buffer ?? concurrency));
  const done: R[] = [];
  let next = 0;
  let running = 0;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let stopped = false;

  const pump = (): void => {
    while (!stopped && !failure && next < items.length && running < concurrency && running + done.length < buffer) {
      const item = items[next++];
      running++;
      fn(item).then(
        (r) => {
          running--;
          done.push(r);
          pump();
          wake?.();
        },
        (error: unknown) => {
          running--;
          failure ??= { error };
          wake?.();
        },
      );
    }
  };

  try {
    pump();
    for (;;) {
      if (failure) throw failure.error;
      if (done.length > 0) {
        const r = done.shift() as R;
        pump();
        yield r;
        continue;
      }
      if (running === 0 && next >= items.length) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    stopped = true; // the consumer broke out early: start nothing new (calls in flight finish unobserved)
  }
}
