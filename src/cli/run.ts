import { CommanderError } from 'commander';
import { VlmError } from '../util/errors.js';

/**
 * Runs a CLI action and turns failures into the documented exit codes:
 * 0 success, 2 bad usage (UsageError, commander parse errors), 1 anything else.
 * One line on stderr, saying what to do; a stack only with VLM_DEBUG=1.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      fail(err);
    }
  };
}

export function fail(err: unknown): never {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  const code = err instanceof VlmError ? err.exitCode : 1;
  const msg = err instanceof Error ? err.message : String(err);
  console.error(`vlm: ${msg}`);
  if (process.env.VLM_DEBUG === '1' && err instanceof Error) console.error(err.stack);
  process.exit(code);
}

/** One JSON object per line on stdout (the --json contract in DESIGN.md §5). */
export function printJsonLine(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}
