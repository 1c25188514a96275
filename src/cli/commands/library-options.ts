/** Options and output shared by the library commands (index, search, similar, dupes, recommend). */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { LibraryFilter, LibraryHit } from '../../apps/library/search.js';
import type { Encoder } from '../../encoders/encoder.js';
import { loadEncoder } from '../../encoders/load.js';
import type { VectorStore } from '../../store/vector-store.js';
import { log } from '../../util/log.js';
import { modelOption } from '../options.js';

export interface DbOpts {
  db?: string;
  model?: string;
}

export interface FilterOpts {
  pathPrefix?: string;
  from?: number;
  to?: number;
  minScore?: number;
  includeHidden?: boolean;
}

export function addDbOptions(cmd: Command): Command {
  return cmd
    .option('--db <path|url>', 'the library: a LanceDB folder or postgres://user@host/db (default: the nearest .vlm/ folder)')
    .addOption(modelOption("the library's own model, else the shipped default"));
}

export function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--path-prefix <prefix>', 'only files under this folder / path prefix')
    .option('--from <date>', 'only photos taken on or after this date (YYYY-MM-DD or ISO time)', (v) => parseDate(v, false))
    .option('--to <date>', 'only photos taken on or before this date (a bare date includes the whole day)', (v) => parseDate(v, true))
    .option('--min-score <s>', 'only results with at least this cosine similarity (-1..1)', parseScore)
    .option('--include-hidden', 'also show images the safety policy hid at index time (vlm index --safety hide)');
}

/** "2019-07-04" -> that day's start (or end, for --to) in UTC, the way capture dates are stored. */
export function parseDate(value: string, endOfDay: boolean): number {
  const v = value.trim();
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected a date like 2019-07-04 or 2019-07-04T18:30.');
  const bareDay = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const bareMonth = /^\d{4}-\d{2}$/.test(v);
  const bareYear = /^\d{4}$/.test(v);
  if (!endOfDay || !(bareDay || bareMonth || bareYear)) return ms;
  const d = new Date(ms);
  if (bareYear) return Date.UTC(d.getUTCFullYear() + 1, 0, 1) - 1;
  if (bareMonth) return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - 1;
  return ms + 86_400_000 - 1;
}

export function parseScore(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < -1 || n > 1) throw new InvalidArgumentError('expected a number between -1 and 1.');
  return n;
}

export function parseUnit(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number between 0 and 1.');
  return n;
}

export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number.');
  return n;
}

export function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of 0 or more.');
  return n;
}

/** Paths are stored absolute: a relative prefix is taken from the current folder (a trailing / kept). */
export function libraryFilter(o: FilterOpts): LibraryFilter {
  let prefix = o.pathPrefix;
  if (prefix !== undefined && !isAbsolute(prefix)) {
    const trailing = prefix.endsWith('/') || prefix.endsWith(sep);
    prefix = resolve(prefix) + (trailing ? sep : '');
  }
  return { pathPrefix: prefix, from: o.from, to: o.to, minScore: o.minScore, includeHidden: o.includeHidden };
}

/**
 * The encoder for a library: --model when given, else the model folder the library records (so
 * `vlm search` after `vlm index --model X` needs no flag), else the shipped default.
 */
export async function libraryEncoder(store: VectorStore, model: string | undefined): Promise<Encoder> {
  if (model !== undefined) return loadEncoder(model);
  const recorded = await recordedModel(store);
  if (recorded && existsSync(recorded)) {
    log(`using the library's model ${recorded}`);
    return loadEncoder(recorded);
  }
  return loadEncoder();
}

async function recordedModel(store: VectorStore): Promise<string | undefined> {
  for await (const batch of store.scan({ withVectors: false, batchSize: 1 })) {
    const m = batch[0]?.metadata.model;
    return typeof m === 'string' ? m : undefined;
  }
  return undefined;
}

/** A hit as printed with --json: path and score first, then what the library knows (no thumbnail unless asked). */
export function hitJson(h: LibraryHit, withThumbnail = false): Record<string, unknown> {
  const md = h.metadata;
  const out: Record<string, unknown> = { path: h.path, score: round(h.score), id: h.id, paths: md.paths };
  for (const key of ['width', 'height', 'size', 'format', 'date', 'dateSource', 'camera', 'gps', 'safety']) if (md[key] !== undefined) out[key] = md[key];
  if (withThumbnail && md.thumbnail !== undefined) out.thumbnail = md.thumbnail;
  return out;
}

/** One line per hit: score, path, then date and camera when known. */
export function printHits(hits: LibraryHit[]): void {
  if (hits.length === 0) {
    console.log('(no results)');
    return;
  }
  for (const h of hits) {
    const md = h.metadata;
    const flagged = (md.safety as { flagged?: boolean } | undefined)?.flagged ? 'flagged by the safety check' : '';
    const extra = [typeof md.date === 'string' ? md.date.slice(0, 10) : '', typeof md.camera === 'string' ? md.camera : '', flagged].filter(Boolean).join('  ');
    console.log(`${h.score.toFixed(3).padStart(7)}  ${h.path}${extra ? `  (${extra})` : ''}`);
  }
}

export function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
