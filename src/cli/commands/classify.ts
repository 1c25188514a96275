import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadEncoder } from '../../encoders/load.js';
import { UsageError, VlmError } from '../../util/errors.js';
import { action, printJsonLine } from '../run.js';
import { modelOption, parseLang, parseList, parsePositiveInt } from '../options.js';
import { zeroShotLabels, type FileResult } from '../../apps/classify/zero-shot.js';
import { loadAdapter } from '../../apps/classify/adapter.js';
import type { Lang } from '../../encoders/encoder.js';

interface ClassifyOpts {
  labels?: string; labelsFile?: string; lang?: Lang; top: number; model?: string; json?: boolean; domain: string; adapter?: string;
}

/**
 * `vlm classify <images...> --labels "a,b,c"`: zero-shot labels with calibrated probabilities;
 * `--adapter FILE`: a few-shot classifier from `vlm fewshot train` (labels come from the adapter).
 */
export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('classify images against labels you name (zero-shot, English or Chinese) or with a few-shot adapter')
    .argument('<images...>', 'image files')
    .option('--labels <list>', 'comma-separated labels, e.g. "dog,cat,car" or "狗,猫,汽车"')
    .option('--labels-file <file>', 'one label per line; "label: synonym, synonym" lines add synonyms')
    .option('--lang <lang>', 'prompt language: en or zh (default: detected from the labels)', parseLang)
    .option('--domain <name>', 'prompt templates: generic, traffic, fashion, medical', 'generic')
    .option('--adapter <file>', 'a few-shot classifier made by `vlm fewshot train` (instead of --labels)')
    .option('--top <k>', 'how many labels to show per image', parsePositiveInt, 3)
    .addOption(modelOption())
    .option('--json', 'JSON lines {"path","labels":[{"label","score"}]} on stdout')
    .action(action(async (images: string[], opts: ClassifyOpts) => {
      if (opts.adapter !== undefined && (opts.labels !== undefined || opts.labelsFile !== undefined)) {
        throw new UsageError('give either --adapter FILE or labels (--labels / --labels-file), not both: an adapter brings its own labels');
      }
      const labels = opts.adapter === undefined ? readLabels(opts) : null;
      const encoder = await loadEncoder(opts.model);
      let results: AsyncGenerator<FileResult>;
      try {
        results = labels
          ? (await zeroShotLabels(encoder, labels, { lang: opts.lang, domain: opts.domain })).classifyFiles(images)
          : loadAdapter(opts.adapter as string, encoder, { modelDir: opts.model }).classifyFiles(images);
      } catch (err) {
        await encoder.dispose();
        throw err;
      }
      let failed = 0;
      for await (const r of results) {
        if ('error' in r) {
          failed++;
          console.error(`vlm: skipped ${r.path}: ${r.error}`);
          continue;
        }
        const top = r.labels.slice(0, opts.top);
        if (opts.json) printJsonLine({ path: r.path, labels: top });
        else console.log(`${r.path}\n${top.map((l) => `  ${(l.score * 100).toFixed(1).padStart(5)}%  ${l.label}`).join('\n')}`);
      }
      await encoder.dispose();
      if (failed === images.length) throw new VlmError(`none of the ${images.length} image(s) could be read`);
      if (failed) process.exitCode = 1;
    }));
}

function readLabels(opts: ClassifyOpts): { label: string; synonyms: string[] }[] {
  if (opts.labels === undefined && opts.labelsFile === undefined) throw new UsageError('give labels with --labels "a,b,c" or --labels-file FILE');
  const parsed = opts.labels !== undefined
    ? parseList(opts.labels).map((label) => ({ label, synonyms: [] as string[] }))
    : parseLabelsFile(opts.labelsFile as string);
  if (parsed.length === 0) throw new UsageError('the label list is empty: give at least two labels, e.g. --labels "dog,cat"');
  if (parsed.length === 1) throw new UsageError(`only one label ("${parsed[0].label}"): zero-shot classification needs at least two`);
  const seen = new Set<string>();
  for (const { label } of parsed) {
    if (seen.has(label)) throw new UsageError(`label "${label}" is given twice`);
    seen.add(label);
  }
  return parsed;
}

function parseLabelsFile(file: string): { label: string; synonyms: string[] }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read the labels file ${file}`);
  }
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((line) => {
    const [label, rest] = line.split(/:(.*)/s, 2);
    return { label: label.trim(), synonyms: rest ? parseList(rest) : [] };
  });
}
