/** Small statistics for the explainability evaluation: bootstrap intervals of a mean, Wilson intervals of a rate. */

/** Mean and percentile-bootstrap 95% interval of the mean of `xs` (resampling items, seeded). */
export function bootstrapMean(xs: number[], rng: () => number, rounds = 2000): { mean: number; ci95: [number, number] } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const means: number[] = [];
  for (let b = 0; b < rounds; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[Math.floor(rng() * n)];
    means.push(s / n);
  }
  means.sort((a, b) => a - b);
  return { mean, ci95: [means[Math.floor(0.025 * rounds)], means[Math.ceil(0.975 * rounds) - 1]] };
}

/** Wilson score 95% interval of k successes in n trials. */
export function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.96, p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}
