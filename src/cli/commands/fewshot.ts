import { resolve } from 'node:path';
import type { Command } from 'commander';
import { saveAdapter } from '../../apps/classify/adapter.js';
import { LEARNING_METHODS } from '../../apps/classify/fewshot-model.js';
import { parseMethod } from '../../apps/classify/fit-fewshot.js';
import { readLabelsFile } from '../../apps/classify/label-file.js';
import { trainAdapterFromFolder } from '../../apps/classify/train-adapter.js';
import type { Lang } from '../../encoders/encoder.js';
import { loadEncoder } from '../../encoders/load.js';
import { formatMeanStd } from '../../eval/classification-metrics.js';
import { FEWSHOT_DATASETS, MEDPIX_TASKS } from '../../eval/fewshot/datasets.js';
import { evalMedpixCases, medpixCaseIndex, RESEARCH_NOTE, type TextMatch } from '../../eval/fewshot/medpix-cases.js';
import { writeFewShotCharts } from '../../eval/fewshot/charts.js';
import { saveEvalResult } from '../../eval/model-card.js';
import { evalFewShot, type FewShotResult } from '../../eval/run-fewshot.js';
import { UsageError, VlmError } from '../../util/errors.js';
import { defaultModelDir } from '../../util/paths.js';
import { modelOption, parseLang, parseList, parsePositiveInt } from '../options.js';
import { action, printJsonLine } from '../run.js';

interface TrainOpts { method: string; out: string; model?: string; labelsLang?: Lang; domain: string; labelsFile?: string; seed: number; json?: boolean; features: string }

/** Options of `vlm eval fewshot` (also `vlm fewshot eval`), as commander hands them over. */
export interface FewShotEvalCliOptions {
  dataset: string;
  task?: string;
  shots?: string;
  seeds?: number;
  methods?: string;
  lang?: string;
  limit?: number;
  batch?: number;
  model?: string;
  json?: boolean;
  /** Write the learning curve chart here (.svg; a .png beside it with png). */
  plot?: string;
  /** Write the confusion matrix of the best method at the most shots here (.svg/.png). */
  confusion?: string;
  png?: boolean;
  /** Record the result in <model>/eval/ (for model cards and docs). */
  save?: boolean;
  cache?: boolean;
  /** "embedding" or "tower:<tap>[+<tap>]". */
  features?: string;
}

/** Add the few-shot evaluation options to a command (`vlm fewshot eval` and `vlm eval fewshot`; both bring their own --save). */
export function addFewShotEvalOptions(cmd: Command): Command {
  return cmd
    .option('--task <task>', `MedPix: ${MEDPIX_TASKS.join(', ')} (default modality)`)
    .option('--shots <list>', 'examples per class, e.g. 1,2,4,8,16 (GTSRB has 40 per class)', '1,2,4,8,16')
    .option('--seeds <n>', 'random support draws per shot count', parsePositiveInt, 3)
    .option('--methods <list>', `few-shot methods: ${LEARNING_METHODS.join(', ')}`, LEARNING_METHODS.join(','))
    .option('--plot <file>', 'write the accuracy-vs-shots chart (.svg, plus .png with --png)')
    .option('--confusion <file>', 'write the confusion matrix of the best method at the most shots (.svg)')
    .option('--png', 'also write PNG versions of the charts')
    .option('--features <what>', 'what the few-shot methods fit on: embedding, or the frozen image tower\'s taps, e.g. tower:b13_gap, tower@128:b6_g3 (block 6 of a 128-px input, 3x3 grid)', 'embedding')
    .option('--no-cache', 'do not keep image embeddings under .cache/embeddings');
}

/** `vlm eval fewshot ...`: parse, run, print (JSON with --json), optionally plot and record. */
export async function runFewShotEvalCommand(opts: FewShotEvalCliOptions): Promise<FewShotResult> {
  if (!(FEWSHOT_DATASETS as readonly string[]).includes(opts.dataset)) throw new UsageError(`few-shot evaluation supports --dataset ${FEWSHOT_DATASETS.join(', ')} (got "${opts.dataset}")`);
  if (opts.task !== undefined && opts.dataset !== 'medpix') throw new UsageError('--task is for --dataset medpix');
  const lang = (opts.lang ?? 'en') as Lang;
  if (lang !== 'en' && lang !== 'zh') throw new UsageError(`--lang must be en or zh (got "${opts.lang}")`);
  const shots = parseList(opts.shots ?? '1,2,4,8,16').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--shots takes positive whole numbers, e.g. 1,2,4,8,16 (got "${s}")`);
    return n;
  });
  const methods = parseList(opts.methods ?? LEARNING_METHODS.join(',')).map(parseMethod);
  const encoder = await loadEncoder(opts.model);
  try {
    const r = await evalFewShot(encoder, {
      dataset: opts.dataset, task: opts.task, lang, shots, seeds: opts.seeds ?? 3, methods,
      testLimit: opts.limit, batchSize: opts.batch, quiet: false, diskCache: opts.cache !== false, features: opts.features, modelDir: opts.model,
    });
    if (opts.plot || opts.confusion) await writeFewShotCharts(r, { curve: opts.plot, confusion: opts.confusion, png: opts.png });
    if (opts.save) {
      const feats = r.features === 'embedding' ? '' : `-${r.features.replace(/[^A-Za-z0-9_]+/g, '-')}`;
      const name = `fewshot-${r.name}-${lang}${feats}${r.test_limit ? `-limit${r.test_limit}` : ''}`;
      const command = [
        'vlm eval fewshot', `--dataset ${r.dataset}`, r.medpix_task ? `--task ${r.medpix_task}` : '', `--shots ${r.shots.join(',')}`,
        `--seeds ${r.seeds}`, `--methods ${r.methods.join(',')}`, `--lang ${lang}`, r.features === 'embedding' ? '' : `--features ${r.features}`, r.test_limit ? `--limit ${r.test_limit}` : '',
        opts.model ? `--model ${opts.model}` : '', '--json',
      ].filter(Boolean).join(' ');
      saveEvalResult(resolve(opts.model ?? defaultModelDir), name, r, command);
    }
    if (opts.json) printJsonLine(r);
    else printSummary(r);
    return r;
  } finally {
    await encoder.dispose();
  }
}

function printSummary(r: FewShotResult): void {
  const pct = (m: { mean: number; std: number }) => formatMeanStd({ mean: 100 * m.mean, std: 100 * m.std, n: 0 });
  console.log(`${r.name} (${r.lang}), model ${r.model}, features ${r.features}: ${r.n_test} test images, ${r.labels.length} classes (chance ${(100 * r.chance).toFixed(1)}%), ${r.seeds} seed(s)`);
  if (r.zero_shot) console.log(`  zero-shot: ${(100 * r.zero_shot.accuracy).toFixed(1)}%`);
  console.log(`  ${'shots'.padEnd(6)}${r.methods.map((m) => m.padStart(16)).join('')}`);
  for (const k of r.shots) {
    const cells = r.methods.map((m) => pct(r.curves[m]?.find((p) => p.shots === k)?.accuracy ?? { mean: NaN, std: NaN }).padStart(16));
    console.log(`  ${String(k).padEnd(6)}${cells.join('')}`);
  }
  if (r.top_confusions.length) {
    console.log(`  top confusions (${r.confusion?.method}, ${r.confusion?.shots}-shot): ${r.top_confusions.slice(0, 5).map((c) => `${c.true} -> ${c.predicted} (${c.count})`).join('; ')}`);
  }
}

/** `vlm fewshot ...`: train adapters from labelled folders, evaluate, and retrieve similar MedPix cases. */
export function registerFewshot(program: Command): void {
  const fewshot = program.command('fewshot').description('few-shot classifiers from a folder of labelled examples, and their evaluation');

  fewshot
    .command('train')
    .description('fit a classifier on <dir>/<label>/*.jpg and save it as an adapter for `vlm classify --adapter`')
    .argument('<dir>', 'folder with one sub-folder of example images per class')
    .option('--method <m>', 'probe (logistic regression), ridge (ridge regression: best on tower features), tip (Tip-Adapter), tip-f (Tip-Adapter-F), prototype, or zeroshot (calibrated zero-shot)', 'probe')
    .requiredOption('--out <file>', 'where to write the adapter (JSON)')
    .addOption(modelOption())
    .option('--labels-lang <lang>', 'language of the class names for the zero-shot prior: en or zh (default: detected)', parseLang)
    .option('--domain <name>', 'prompt templates for the prior: generic, traffic, fashion, medical', 'generic')
    .option('--labels-file <file>', 'class names for the folders: lines "folder: name, synonym, ..." (e.g. "14: stop, stop sign")')
    .option('--seed <n>', 'seed for the cross-validation folds', (v) => Number.parseInt(v, 10), 0)
    .option('--features <what>', 'what to fit on: embedding (any model), or taps of our model\'s frozen image tower, e.g. tower@128:b6_g3 (what docs/traffic-signs.md measures)', 'embedding')
    .option('--json', 'print a JSON summary on stdout')
    .action(action(async (dir: string, opts: TrainOpts) => {
      const method = parseMethod(opts.method);
      const names = opts.labelsFile ? readLabelsFile(opts.labelsFile) : undefined;
      const encoder = await loadEncoder(opts.model);
      try {
        const { adapter, skipped, droppedClasses } = await trainAdapterFromFolder(encoder, dir, {
          method, lang: opts.labelsLang, domain: opts.domain, names, seed: opts.seed, features: opts.features, modelDir: opts.model,
        });
        saveAdapter(opts.out, adapter);
        const summary = {
          out: opts.out, method, model: encoder.id, features: adapter.features?.spec ?? 'embedding', labels: adapter.labels, examples: adapter.support.examples,
          per_class: adapter.support.per_class, temperature: adapter.temperature, info: adapter.info,
          skipped: skipped.map((s) => ({ path: s.path, reason: s.reason })), dropped_classes: droppedClasses,
        };
        if (opts.json) printJsonLine(summary);
        else {
          console.log(`wrote ${opts.out}: ${method} on ${adapter.support.examples} images of ${adapter.labels.length} classes (model ${encoder.id}, features ${adapter.features?.spec ?? 'embedding'})`);
          const hp = Object.entries(adapter.info).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`).join(', ');
          if (hp) console.log(`  chosen on the examples: ${hp}; temperature ${adapter.temperature.toPrecision(3)}`);
          if (skipped.length) console.log(`  skipped ${skipped.length} unreadable image(s)`);
        }
      } finally {
        await encoder.dispose();
      }
    }));

  addFewShotEvalOptions(
    fewshot
      .command('eval')
      .description('few-shot accuracy vs shots on a benchmark (same as `vlm eval fewshot`)')
      .requiredOption('--dataset <name>', FEWSHOT_DATASETS.join(', '))
      .option('--lang <lang>', 'class-name language for the zero-shot prior: en or zh', 'en')
      .option('--limit <n>', 'score a seeded random subset of n test images (quick checks)', parsePositiveInt)
      .option('--batch <n>', 'images per encoder call', parsePositiveInt, 64)
      .addOption(modelOption())
      .option('--json', 'print the result as one JSON object on stdout')
      .option('--save', 'record the result in <model>/eval/fewshot-<dataset>-<lang>.json (model card, docs)'),
  ).action(action(async (opts: FewShotEvalCliOptions) => {
    await runFewShotEvalCommand(opts);
  }));

  fewshot
    .command('cases')
    .description(`MedPix case retrieval: the most similar TRAIN cases, with captions, for images or a text. ${RESEARCH_NOTE}`)
    .argument('[images...]', 'query images')
    .option('--text <description>', 'query by a text description instead (English)')
    .option('--match <how>', 'text queries: image, caption or fused (both, by reciprocal rank)', 'fused')
    .option('--k <n>', 'cases per query', parsePositiveInt, 5)
    .option('--eval', 'measure precision@k of location and modality on the MedPix TEST split instead')
    .option('--save', 'with --eval: record the result in <model>/eval/cases-medpix.json')
    .addOption(modelOption())
    .option('--json', 'JSON lines on stdout')
    .action(action(async (images: string[], opts: { text?: string; match: string; k: number; eval?: boolean; save?: boolean; model?: string; json?: boolean }) => {
      if (!['image', 'caption', 'fused'].includes(opts.match)) throw new UsageError(`--match must be image, caption or fused (got "${opts.match}")`);
      if (!opts.eval && !opts.text && images.length === 0) throw new UsageError('give query images, --text "<description>", or --eval');
      const encoder = await loadEncoder(opts.model);
      try {
        if (opts.eval) {
          const r = await evalMedpixCases(encoder, { k: opts.k });
          if (opts.save) saveEvalResult(resolve(opts.model ?? defaultModelDir), 'cases-medpix', r, `vlm fewshot cases --eval --k ${opts.k}${opts.model ? ` --model ${opts.model}` : ''} --json`);
          if (opts.json) printJsonLine(r);
          else {
            const f = (p: { location: number; modality: number }) => `location ${(100 * p.location).toFixed(1)}%, modality ${(100 * p.modality).toFixed(1)}%`;
            console.log(`MedPix case retrieval, precision@${r.k} over ${r.n_queries} test queries (${r.n_train_cases} train cases), model ${r.model}`);
            for (const [name, p] of [['image -> cases', r.image], ['text -> images', r.text_image], ['text -> captions', r.text_caption], ['text fused', r.text_fused], ['chance', r.chance]] as const) {
              console.log(`  ${name.padEnd(17)} ${f(p)}`);
            }
            console.error(`vlm: ${RESEARCH_NOTE}`);
          }
          return;
        }
        const index = await medpixCaseIndex(encoder, { quiet: opts.json });
        const show = (query: string, hits: ReturnType<typeof index.searchImage>) => {
          if (opts.json) printJsonLine({ query, results: hits.map((h) => ({ path: h.path, score: h.score, case_id: h.caseId, caption: h.caption, ...h.meta })), note: RESEARCH_NOTE });
          else {
            console.log(query);
            for (const h of hits) console.log(`  ${h.score.toFixed(3)}  ${h.caseId} ${h.meta.modality} ${h.meta.location_category}: ${h.caption}`);
          }
        };
        if (opts.text) show(opts.text, index.searchText((await encoder.embedTexts([opts.text], { lang: 'en' }))[0], opts.k, opts.match as TextMatch));
        let failed = 0;
        for (const path of images) {
          try {
            show(path, index.searchImage((await encoder.embedImages([path]))[0], opts.k));
          } catch (err) {
            if (!(err instanceof VlmError)) throw err;
            failed++;
            console.error(`vlm: skipped ${path}: ${err.message}`);
          }
        }
        if (!opts.json) console.error(`vlm: ${RESEARCH_NOTE}`);
        if (failed && failed === images.length && !opts.text) throw new VlmError(`none of the ${images.length} image(s) could be read`);
        if (failed) process.exitCode = 1;
      } finally {
        await encoder.dispose();
      }
    }));
}
