import type { Command } from 'commander';
import { Argument } from 'commander';
import { loadEncoder } from '../../encoders/load.js';
import { evalRetrieval } from '../../eval/run-retrieval.js';
import { evalZeroShot, type ZeroShotDataset } from '../../eval/run-zeroshot.js';
import { UsageError } from '../../util/errors.js';
import { defaultModelDir, modelArg } from '../../util/paths.js';
import { saveEvalResult } from '../../eval/model-card.js';
import { action, printJsonLine } from '../run.js';
import { modelOption, parsePositiveInt } from '../options.js';
import { addFewShotEvalOptions, runFewShotEvalCommand, type FewShotEvalCliOptions } from './fewshot.js';
import { addCaptionEvalOptions, runCaptionEvalCommand, type CaptionEvalCliOptions } from './caption.js';
import { addVqaEvalOptions, runVqaEvalCommand } from './ask.js';

interface EvalOpts extends FewShotEvalCliOptions, CaptionEvalCliOptions {
  dataset: string; split: string; lang: string; limit?: number; model?: string; json?: boolean; batch: number; save?: boolean;
}

/** `vlm eval retrieval|zeroshot|fewshot`: numbers from held-out splits, as JSON with --json. */
export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('measure a model on a held-out split (retrieval R@K, zero-shot accuracy, few-shot curves)')
    .addArgument(new Argument('<task>', 'what to measure').choices(['retrieval', 'zeroshot', 'fewshot', 'caption', 'vqa']))
    .requiredOption('--dataset <name>', 'retrieval: flickr8k; zeroshot: gtsrb or fashion-mnist; fewshot: gtsrb, fashion-mnist or medpix')
    .option('--split <split>', 'dev or test for flickr8k; test (or train) for zero-shot sets', 'test')
    .option('--lang <lang>', 'captions / prompts: en, zh, or zh-human (Flickr8k test human translations)', 'en')
    .option('--limit <n>', 'only the first n images (retrieval) or a seeded random n (zero-shot): quick checks', parsePositiveInt)
    .option('--batch <n>', 'images per encoder call', parsePositiveInt, 64)
    .addOption(modelOption())
    .option('--json', 'print the result as one JSON object on stdout')
    .option('--save', "also store the result in the model folder's eval/ (the model card is generated from those files)");
  // fewshot: the options of `vlm fewshot eval`, and the same code path.
  addVqaEvalOptions(addCaptionEvalOptions(addFewShotEvalOptions(cmd)))
    .action(action(async (task: 'retrieval' | 'zeroshot' | 'fewshot' | 'caption' | 'vqa', opts: EvalOpts) => {
      if (task === 'caption') return runCaptionEvalCommand(opts);
      if (task === 'vqa') return runVqaEvalCommand(opts);
      if (task === 'fewshot') {
        if (opts.split !== 'test') throw new UsageError(`few-shot support sets come from train and are scored on test: --split must be test (got "${opts.split}")`);
        await runFewShotEvalCommand(opts);
        return;
      }
      const encoder = await loadEncoder(opts.model);
      const quiet = false;
      const save = (result: object) => {
        if (!opts.save) return;
        const limit = opts.limit ? ` --limit ${opts.limit}` : '';
        const model = opts.model ? ` --model ${modelArg(opts.model)}` : '';
        const command = `vlm eval ${task} --dataset ${opts.dataset} --split ${opts.split} --lang ${opts.lang}${limit}${model} --json`;
        const name = `${task}-${opts.dataset}-${opts.split}-${opts.lang}${opts.limit ? `-limit${opts.limit}` : ''}`;
        saveEvalResult(opts.model ?? defaultModelDir, name, result, command);
      };
      if (task === 'retrieval') {
        if (opts.dataset !== 'flickr8k') throw new UsageError(`retrieval is measured on --dataset flickr8k (got "${opts.dataset}")`);
        if (!['train', 'dev', 'test'].includes(opts.split)) throw new UsageError(`--split must be dev or test (got "${opts.split}")`);
        if (!['en', 'zh', 'zh-human'].includes(opts.lang)) throw new UsageError(`--lang must be en, zh or zh-human (got "${opts.lang}")`);
        const r = await evalRetrieval(encoder, {
          dataset: 'flickr8k', split: opts.split as 'dev', lang: opts.lang as 'en', limit: opts.limit, batchSize: opts.batch, quiet,
        });
        save(r);
        if (opts.json) printJsonLine(r);
        else {
          console.log(`Flickr8k ${r.split} (${r.lang}), ${r.n_images} images x ${r.n_texts} captions, model ${r.model}`);
          for (const [name, s] of [['text->image', r.t2i], ['image->text', r.i2t]] as const) {
            console.log(`  ${name.padEnd(12)} R@1 ${s.r1.toFixed(1)}  R@5 ${s.r5.toFixed(1)}  R@10 ${s.r10.toFixed(1)}  median rank ${s.medr}`);
          }
        }
      } else {
        if (opts.dataset !== 'gtsrb' && opts.dataset !== 'fashion-mnist') throw new UsageError(`zero-shot is measured on --dataset gtsrb or fashion-mnist (got "${opts.dataset}")`);
        if (opts.lang !== 'en' && opts.lang !== 'zh') throw new UsageError(`--lang must be en or zh (got "${opts.lang}")`);
        if (opts.split !== 'test' && opts.split !== 'train') throw new UsageError(`--split must be test or train (got "${opts.split}")`);
        const r = await evalZeroShot(encoder, {
          dataset: opts.dataset as ZeroShotDataset, split: opts.split, lang: opts.lang, limit: opts.limit, batchSize: opts.batch, quiet,
        });
        save(r);
        if (opts.json) printJsonLine(r);
        else console.log(`${r.dataset} ${r.split} (${r.lang}) zero-shot: accuracy ${(r.accuracy * 100).toFixed(1)}% (chance ${(r.chance * 100).toFixed(1)}%), top-5 ${(r.top5 * 100).toFixed(1)}%, n=${r.n}`);
      }
      await encoder.dispose();
    }));
}
