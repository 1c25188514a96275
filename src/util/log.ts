/** Logs go to stderr so stdout stays machine-readable (--json). */
export function log(...args: unknown[]): void {
  if (process.env.VLM_QUIET === '1') return;
  console.error(...args);
}
