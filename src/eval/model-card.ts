import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { InputError, VlmError } from '../util/errors.js';

/**
 * Model cards are generated, never typed: every measured number lives in <modelDir>/eval/<name>.json
 * together with the command that produced it, and MODEL_CARD.md is re-rendered from those files.
 * Prose (what the model is, caveats) comes from the caller's sections; numbers only from eval/*.json.
 */

export interface EvalRecord {
  /** File stem under eval/, e.g. "retrieval-flickr8k-test-en". */
  name: string;
  /** The exact command that reproduces `result`, e.g. "vlm eval retrieval --dataset flickr8k --split test --json". */
  command: string;
  /** A runner's output (evalRetrieval, evalZeroShot, ...) or any JSON object of measurements. */
  result: Record<string, unknown>;
  measured_at: string;
  /** Where it was measured: timings only mean something with the machine. */
  host: { node: string; platform: string; cpus: number };
}

export interface CardSection {
  heading: string;
  /** Markdown prose. Keep numbers out of it: put them in results. */
  text?: string;
  /** Names of eval records to show as tables (grouped by task). */
  results?: string[];
  /** Another model folder the results are read from (e.g. a sibling model the card compares with). */
  resultsFrom?: string;
  /** Images relative to the model folder, e.g. plots/fewshot-gtsrb.svg. */
  figures?: { path: string; caption: string }[];
}

const NAME = /^[A-Za-z0-9._-]+$/;

export function evalDir(modelDir: string): string {
  return join(modelDir, 'eval');
}

/** Store one measured result as <modelDir>/eval/<name>.json (overwriting an older measurement). */
export function saveEvalResult(modelDir: string, name: string, result: object, command: string): EvalRecord {
  if (!NAME.test(name)) throw new InputError(`eval result name "${name}" may only hold letters, digits, ".", "_" and "-"`);
  if (!command.trim()) throw new InputError(`eval result "${name}" needs the command that reproduces it`);
  const record: EvalRecord = {
    name,
    command,
    result: result as Record<string, unknown>,
    measured_at: new Date().toISOString(),
    host: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: availableParallelism() },
  };
  mkdirSync(evalDir(modelDir), { recursive: true });
  writeFileSync(join(evalDir(modelDir), `${name}.json`), JSON.stringify(record, null, 1) + '\n');
  return record;
}

export function loadEvalResults(modelDir: string): Map<string, EvalRecord> {
  const dir = evalDir(modelDir);
  const out = new Map<string, EvalRecord>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const path = join(dir, f);
    let rec: EvalRecord;
    try {
      rec = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new VlmError(`${path} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof rec.command !== 'string' || typeof rec.result !== 'object' || rec.result === null) {
      throw new VlmError(`${path} is not an eval record (needs "command" and "result"): write it with saveEvalResult()`);
    }
    out.set(basename(f, '.json'), { ...rec, name: basename(f, '.json') });
  }
  return out;
}

const pct = (x: unknown) => (typeof x === 'number' ? x.toFixed(1) : '–');
const frac = (x: unknown) => (typeof x === 'number' ? (100 * x).toFixed(1) : '–');
const num = (x: unknown) => (typeof x === 'number' ? String(Number(x.toPrecision(4))) : '–');
const cell = (x: unknown) => String(x ?? '–').replace(/\|/g, '\\|');
const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';

type Row = Record<string, unknown>;
const get = (r: Row, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Row)[k] : undefined), r);

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function retrievalTable(recs: EvalRecord[]): string {
  return (
    'Recall@K in %, median rank (ties counted pessimistically). T→I: each caption retrieves its image; I→T: each image retrieves any of its captions.\n\n' +
    table(
      ['data', 'split', 'captions', 'images', 'texts', 'T→I R@1', 'R@5', 'R@10', 'MedR', 'I→T R@1', 'R@5', 'R@10', 'MedR', 'command'],
      recs.map(({ result: r, command }) => [
        cell(r.dataset), cell(r.split), cell(r.lang), cell(r.n_images), cell(r.n_texts),
        pct(get(r, 't2i.r1')), pct(get(r, 't2i.r5')), pct(get(r, 't2i.r10')), num(get(r, 't2i.medr')),
        pct(get(r, 'i2t.r1')), pct(get(r, 'i2t.r5')), pct(get(r, 'i2t.r10')), num(get(r, 'i2t.medr')),
        code(command),
      ]),
    )
  );
}

function zeroShotTable(recs: EvalRecord[]): string {
  return (
    'Accuracy in %, prompt-ensemble zero-shot classification (no training on these datasets).\n\n' +
    table(
      ['data', 'split', 'lang', 'images', 'classes', 'top-1', 'top-5', 'mean per class', 'chance', 'command'],
      recs.map(({ result: r, command }) => [
        cell(r.dataset), cell(r.split), cell(r.lang), cell(r.n), cell(Array.isArray(r.labels) ? r.labels.length : undefined),
        frac(r.accuracy), frac(r.top5), frac(r.mean_per_class), frac(r.chance), code(command),
      ]),
    )
  );
}

/** Numeric leaves of a result, flattened ("t2i.r1": 12.3); arrays and long nests are left to the JSON file. */
function numericLeaves(r: Row, prefix = '', depth = 0): [string, number][] {
  return Object.entries(r).flatMap(([k, v]): [string, number][] => {
    if (typeof v === 'number') return [[prefix + k, v]];
    if (v && typeof v === 'object' && !Array.isArray(v) && depth < 2) return numericLeaves(v as Row, `${prefix}${k}.`, depth + 1);
    return [];
  });
}

function genericTable(recs: EvalRecord[]): string {
  return table(
    ['result', 'measurements', 'command'],
    recs.map((rec) => [
      rec.name,
      numericLeaves(rec.result).filter(([k]) => k !== 'seconds').map(([k, v]) => `${k} = ${num(v)}`).join(', ') || '–',
      code(rec.command),
    ]),
  );
}

const RENDERERS: Record<string, (recs: EvalRecord[]) => string> = { retrieval: retrievalTable, zeroshot: zeroShotTable };

function renderResults(recs: EvalRecord[]): string {
  const byTask = new Map<string, EvalRecord[]>();
  for (const rec of recs) {
    const task = typeof rec.result.task === 'string' && rec.result.task in RENDERERS ? rec.result.task : 'other';
    byTask.set(task, [...(byTask.get(task) ?? []), rec]);
  }
  return [...byTask].map(([task, list]) => (RENDERERS[task] ?? genericTable)(list)).join('\n\n');
}

function readConfig(modelDir: string): Row | undefined {
  const path = join(modelDir, 'config.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Row) : undefined;
}

/** The card as Markdown. Throws if a section names a result that was never measured. */
export function renderModelCard(modelDir: string, title: string, sections: CardSection[]): string {
  const records = loadEvalResults(modelDir);
  const shown = new Set<string>();
  const out: string[] = [
    `# ${title}`,
    '',
    `<!-- Generated by src/eval/model-card.ts from config.json and eval/*.json. Do not edit by hand: re-measure and regenerate. -->`,
  ];
  const config = readConfig(modelDir);
  if (config) {
    // The recipe as recorded by training (src/model/config.ts), not retyped.
    const facts = ['name', 'description', 'embed_dim'].filter((k) => config[k] !== undefined).map((k) => `- ${k}: ${cell(config[k])}`);
    if (facts.length) out.push('', ...facts);
    out.push('', '<details><summary>config.json</summary>', '', '```json', JSON.stringify(config, null, 1), '```', '', '</details>');
  }
  for (const s of sections) {
    out.push('', `## ${s.heading}`);
    if (s.text) out.push('', s.text.trim());
    if (s.results?.length) {
      const from = s.resultsFrom ?? modelDir;
      const source = s.resultsFrom ? loadEvalResults(s.resultsFrom) : records;
      const recs = s.results.map((name) => {
        const rec = source.get(name);
        if (!rec) throw new VlmError(`model card section "${s.heading}" needs ${join(evalDir(from), name + '.json')}: run the evaluation first`);
        if (!s.resultsFrom) shown.add(name);
        return rec;
      });
      out.push('', renderResults(recs));
    }
    for (const fig of s.figures ?? []) {
      if (!existsSync(join(modelDir, fig.path))) throw new VlmError(`model card figure ${join(modelDir, fig.path)} does not exist`);
      out.push('', `![${fig.caption}](${fig.path})`, '', `*${fig.caption}*`);
    }
  }
  // Nothing measured stays hidden: results no section asked for still appear.
  const rest = [...records.values()].filter((r) => !shown.has(r.name));
  if (rest.length) out.push('', '## Other measured results', '', renderResults(rest));
  if (records.size) {
    const dates = [...records.values()].map((r) => r.measured_at).sort();
    const host = [...records.values()][0].host;
    out.push('', `Measured ${dates[0].slice(0, 10)}${dates.length > 1 ? ` to ${dates[dates.length - 1].slice(0, 10)}` : ''} on ${host?.platform ?? '?'}, Node ${host?.node ?? '?'}; raw results with all fields in eval/*.json.`);
  }
  return out.join('\n') + '\n';
}

/** Regenerate <modelDir>/MODEL_CARD.md; returns its path. */
export function writeModelCard(modelDir: string, sections: CardSection[], opts: { title?: string } = {}): string {
  const title = opts.title ?? `Model card: ${basename(modelDir)}`;
  const path = join(modelDir, 'MODEL_CARD.md');
  writeFileSync(path, renderModelCard(modelDir, title, sections));
  return path;
}
