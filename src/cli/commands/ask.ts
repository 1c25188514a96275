import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { loadEncoder } from '../../encoders/load.js';
import { createAsker } from '../../apps/ask/index.js';
import { CALIBRATION_PATH, readCalibration } from '../../apps/ask/calibration.js';
import { calibrateAsk } from '../../eval/vqa-calibrate.js';
import { evalVqa, type VqaResult } from '../../eval/vqa-run.js';
import { saveEvalResult } from '../../eval/model-card.js';
import { UsageError } from '../../util/errors.js';
import { defaultModelDir } from '../../util/paths.js';
import { log } from '../../util/log.js';
import { action, printJsonLine } from '../run.js';
import { modelOption, parseLang, parsePositiveInt } from '../options.js';
import type { Lang } from '../../encoders/encoder.js';

interface AskOpts { json?: boolean; lang?: Lang; model?: string }

/** `vlm ask <image> "<question>"`: one answer, with the skill that gave it and its confidence. */
export function registerAsk(program: Command): void {
  program
    .command('ask')
    .description('answer a question about an image: describe it, yes/no ("is there a dog?"), count ("how many people?"), read text ("what does the sign say?"); English or Chinese')
    .argument('<image>', 'image file (JPEG, PNG, WebP, ...)')
    .argument('<question>', 'the question, e.g. "is there a dog?" or "图中有人吗？"')
    .option('--lang <lang>', 'answer language: en or zh (default: the question\'s)', parseLang)
    .addOption(modelOption())
    .option('--json', 'print {"path","question","answer","skill","confidence",...} on stdout')
    .action(action(async (image: string, question: string, opts: AskOpts) => {
      if (!question.trim()) throw new UsageError('the question is empty: ask e.g. "what is in the image?", "is there a dog?" or "how many people?"');
      const encoder = await loadEncoder(opts.model);
      const asker = createAsker(encoder, { modelDir: opts.model });
      try {
        const a = await asker.ask(image, question, { lang: opts.lang });
        if (opts.json) printJsonLine({ path: image, question, ...a });
        else {
          console.log(a.answer);
          console.log(`  (skill: ${a.skill}, confidence ${a.confidence.toFixed(2)}${asker.calibrated || a.skill !== 'verify' && a.skill !== 'count' ? '' : ', uncalibrated for this model'})`);
        }
      } finally {
        await asker.dispose();
        await encoder.dispose();
      }
    }));
}

export interface VqaEvalCliOptions {
  split: string; limit?: number; model?: string; json?: boolean; save?: boolean; dataset: string;
  calibrate?: boolean; seed?: number; perConcept?: number; ocrImages?: number;
}

/** The options `vlm eval vqa` adds to `vlm eval`. */
export function addVqaEvalOptions(cmd: Command): Command {
  return cmd
    .option('--calibrate', `vqa: first fit the yes/no and counting thresholds on Flickr8k DEV and write ${'src/apps/ask/calibration.json'}`)
    .option('--seed <n>', 'vqa: seed of the question draw (default 1)', parsePositiveInt)
    .option('--per-concept <n>', 'vqa: yes (and as many no) questions per object (default 10)', parsePositiveInt)
    .option('--ocr-images <n>', 'vqa: rendered text images (default 100)', parsePositiveInt);
}

/** `vlm eval vqa --dataset flickr8k [--split test] [--calibrate] [--json] [--save]`. */
export async function runVqaEvalCommand(opts: VqaEvalCliOptions): Promise<void> {
  if (opts.dataset !== 'flickr8k') throw new UsageError(`vqa questions come from --dataset flickr8k captions (got "${opts.dataset}")`);
  if (opts.split !== 'test' && opts.split !== 'dev') throw new UsageError(`--split must be test or dev (got "${opts.split}")`);
  const encoder = await loadEncoder(opts.model);
  try {
    if (opts.calibrate) {
      const { calibration, report } = await calibrateAsk(encoder, { command: 'vlm eval vqa --dataset flickr8k --calibrate' });
      if (opts.model) log(`vlm: --calibrate with --model: not overwriting ${CALIBRATION_PATH} (it belongs to the default model); using the fit in memory`);
      else writeFileSync(CALIBRATION_PATH, JSON.stringify(calibration) + '\n');
      log(`vlm: dev calibration: ${JSON.stringify(report)}`);
      opts = { ...opts, calibrate: false };
      await finish(await evalVqa(encoder, evalOpts(opts, calibration)), opts);
      return;
    }
    await finish(await evalVqa(encoder, evalOpts(opts, readCalibration())), opts);
  } finally {
    await encoder.dispose();
  }
}

function evalOpts(opts: VqaEvalCliOptions, calibration: ReturnType<typeof readCalibration>) {
  return { split: opts.split as 'test' | 'dev', seed: opts.seed, perConcept: opts.perConcept, ocrImages: opts.ocrImages, limit: opts.limit, calibration };
}

async function finish(r: VqaResult, opts: VqaEvalCliOptions): Promise<void> {
  if (opts.save) {
    const extra = [opts.seed ? ` --seed ${opts.seed}` : '', opts.perConcept ? ` --per-concept ${opts.perConcept}` : '', opts.ocrImages ? ` --ocr-images ${opts.ocrImages}` : '', opts.limit ? ` --limit ${opts.limit}` : '', opts.model ? ` --model ${opts.model}` : ''].join('');
    const name = `vqa${opts.split === 'test' ? '' : `-${opts.split}`}${opts.limit ? `-limit${opts.limit}` : ''}`;
    saveEvalResult(opts.model ?? defaultModelDir, name, r, `vlm eval vqa --dataset flickr8k --split ${opts.split}${extra} --json`);
  }
  if (opts.json) {
    printJsonLine(r);
    return;
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`VQA on Flickr8k ${r.split} captions + rendered text (seed ${r.seed}, ${r.calibrated ? 'dev-calibrated' : 'UNCALIBRATED'}), model ${r.model}`);
  for (const lang of ['en', 'zh'] as const) {
    console.log(`  ${lang}: yes/no ${pct(r.yesno[lang].accuracy)} (n=${r.yesno[lang].n})  counting ${pct(r.count[lang].accuracy)} (n=${r.count[lang].n}, MAE ${r.count[lang].mean_abs_error.toFixed(2)})  OCR exact ${pct(r.ocr[lang].accuracy)} (n=${r.ocr[lang].n})`);
  }
  if (r.misrouted) console.log(`  misrouted questions: ${r.misrouted}`);
}
