/**
 * Bounded concurrency for the expensive routes (anything that runs the encoder or scans the store):
 * at most `concurrency` jobs run, at most `maxQueued` wait, and a request that would wait beyond that
 * is refused at once with 503 + Retry-After instead of piling up memory and latency. A job that runs
 * past the timeout is answered with 503 while it finishes in the background: it keeps its slot until
 * it really ends, so the concurrency bound holds even for abandoned work.
 */
import { ServiceUnavailableError } from './http-errors.js';

export interface QueueOptions {
  concurrency: number;
  maxQueued: number;
  /** time from arrival to answer (queue wait + run), ms */
  timeoutMs: number;
}

export interface QueueStats {
  running: number;
  queued: number;
  completed: number;
  rejected: number;
  timedOut: number;
}

interface Waiter {
  start: () => void;
  cancelled: boolean;
}

export class WorkQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private readonly stats = { completed: 0, rejected: 0, timedOut: 0 };
  /** exponential moving average of run time, for Retry-After */
  private avgMs = 200;

  constructor(readonly opts: QueueOptions) {
    if (!(opts.concurrency >= 1) || !(opts.maxQueued >= 0) || !(opts.timeoutMs > 0)) throw new RangeError('queue: concurrency >= 1, maxQueued >= 0, timeoutMs > 0');
  }

  snapshot(): QueueStats {
    return { running: this.running, queued: this.waiting.length, ...this.stats };
  }

  /** Seconds a client refused now should wait: the time to drain the queue, at least 1. */
  retryAfterSeconds(): number {
    const drainMs = ((this.waiting.length + this.running) * this.avgMs) / this.opts.concurrency;
    return Math.max(1, Math.ceil(drainMs / 1000));
  }

  /** Runs fn when a slot is free; rejects with ServiceUnavailableError when full or timed out. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.opts.concurrency && this.waiting.length >= this.opts.maxQueued) {
      this.stats.rejected++;
      return Promise.reject(new ServiceUnavailableError(`the server is busy (${this.running} running, ${this.waiting.length} queued): try again shortly`, this.retryAfterSeconds()));
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const waiter: Waiter = { start: () => undefined, cancelled: false };
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        waiter.cancelled = true; // a job still waiting never starts
        this.stats.timedOut++;
        reject(new ServiceUnavailableError(`the request took longer than ${this.opts.timeoutMs / 1000} s: try again, or with a smaller request`, this.retryAfterSeconds()));
      }, this.opts.timeoutMs);
      waiter.start = () => {
        this.running++;
        const t0 = performance.now();
        let p: Promise<T>;
        try {
          p = fn();
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(
          (v) => {
            if (!settled) { settled = true; clearTimeout(timer); resolve(v); }
          },
          (e: unknown) => {
            if (!settled) { settled = true; clearTimeout(timer); reject(e); }
          },
        ).finally(() => {
          this.running--;
          this.stats.completed++;
          this.avgMs = 0.9 * this.avgMs + 0.1 * (performance.now() - t0);
          this.next();
        });
      };
      if (this.running < this.opts.concurrency) waiter.start();
      else this.waiting.push(waiter);
    });
  }

  private next(): void {
    while (this.running < this.opts.concurrency && this.waiting.length) {
      const w = this.waiting.shift()!;
      if (!w.cancelled) w.start();
    }
  }
}
