/**
 * Learning rate at a 0-based step: linear warmup from ~0 to `lr` over `warmup` steps, then a cosine
 * decay to `lr * minRatio` at `total` steps (flat afterwards).
 */
export function lrAt(step: number, opts: { lr: number; warmup: number; total: number; minRatio: number }): number {
  const { lr, warmup, total, minRatio } = opts;
  if (warmup > 0 && step < warmup) return (lr * (step + 1)) / warmup;
  const span = Math.max(1, total - warmup);
  const t = Math.min(1, (step - warmup) / span);
  return lr * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
