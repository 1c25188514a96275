import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../src/util/paths.js';

/** A benchmark measures something and returns a JSON-able result; ratios are against a baseline in the same run. */
export interface Benchmark {
  name: string;
  description: string;
  run(args: string[]): Promise<Record<string, unknown>>;
}

export function machineInfo(): Record<string, unknown> {
  return { node: process.version, cpus: cpus().length, cpu_model: cpus()[0]?.model, mem_gib: +(totalmem() / 2 ** 30).toFixed(1) };
}

/** Writes bench/results/<name>.json (one file per benchmark, overwritten by each run). */
export function writeResult(name: string, result: Record<string, unknown>): string {
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine: machineInfo(), ...result }, null, 2) + '\n');
  return path;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}
