import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { loadCaptioner } from '../../apps/caption/index.js';
import type { Lang } from '../../encoders/encoder.js';
import { evalCaptions } from '../../eval/caption-eval.js';
import { saveEvalResult } from '../../eval/model-card.js';
import { InputError, UsageError } from '../../util/errors.js';
import { defaultModelDir, modelArg } from '../../util/paths.js';
import { action, printJsonLine } from '../run.js';
import { modelOption, parseLang, parsePositiveInt } from '../options.js';

interface CaptionOpts { lang?: Lang; beam?: number; rerank?: boolean; consensus?: number; memory?: boolean; json?: boolean; model?: string }

const consensusHelp = "weight of the beam's consensus (minimum Bayes risk) in the final pick (default from the model; 0: off)";
const noMemoryHelp = "re-rank without the caption memory (consensus with the captions of the image's nearest training images, when the model ships one)";
function parseConsensus(v: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0) throw new UsageError(`--consensus must be a number >= 0 (got "${v}")`);
  return x;
}

/** `vlm caption <images...>`: one caption per image (English or Chinese), from the model's caption decoder. */
export function registerCaption(program: Command): void {
  program
    .command('caption')
    .description('describe images in a sentence (English or Chinese)')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, GIF, TIFF)')
    .option('--lang <lang>', 'caption language: en or zh', parseLang, 'en')
    .option('--beam <n>', 'beam width (1 = greedy; default from the model, chosen on dev)', parsePositiveInt)
    .option('--rerank', "re-rank the final beam by the contrastive model's image-text score (the model's default: see its caption.json)")
    .option('--no-rerank', 'skip the contrastive re-ranking (consensus, if set, still applies)')
    .option('--consensus <c>', consensusHelp, parseConsensus)
    .option('--no-memory', noMemoryHelp)
    .addOption(modelOption())
    .option('--json', 'one {"path","caption","score"} line per image on stdout')
    .action(action(async (images: string[], opts: CaptionOpts) => {
      const missing = images.find((p) => !existsSync(p));
      if (missing) throw new InputError(`no such image file: ${missing}`);
      const cap = await loadCaptioner(opts.model);
      try {
        // One image at a time, so an unreadable file costs only its own line.
        let failed = 0;
        for (const path of images) {
          try {
            const [r] = await cap.captionImages([path], { lang: opts.lang, beam: opts.beam, rerank: opts.rerank, consensus: opts.consensus, memory: opts.memory });
            if (opts.json) printJsonLine({ path, caption: r.text, score: +r.score.toFixed(4), lang: opts.lang });
            else console.log(images.length > 1 ? `${path}\t${r.text}` : r.text);
          } catch (err) {
            if (!(err instanceof InputError)) throw err;
            failed++;
            console.error(`vlm: skipped ${path}: ${err.message}`);
          }
        }
        if (failed === images.length) throw new InputError(`none of the ${images.length} image(s) could be read`);
        if (failed) process.exitCode = 1;
      } finally {
        await cap.dispose();
      }
    }));
}

/** Options `vlm eval caption` adds to `vlm eval`. */
export interface CaptionEvalCliOptions { beam?: number; rerank?: boolean; rerankWeight?: number; consensus?: number; memory?: boolean }

export function addCaptionEvalOptions(cmd: Command): Command {
  return cmd
    .option('--beam <n>', 'caption: beam width (1 = greedy; default from the model)', parsePositiveInt)
    .option('--rerank', 'caption: also score the beams re-ranked by the contrastive model')
    .option('--rerank-weight <w>', 'caption: weight of the contrastive score in re-ranking (default from the model)', Number)
    .option('--consensus <c>', `caption: ${consensusHelp}`, parseConsensus)
    .option('--no-memory', `caption: ${noMemoryHelp}`);
}

/** `vlm eval caption --dataset flickr8k --split dev|test --lang en|zh [--beam N] [--rerank] [--limit n] [--json] [--save]` */
export async function runCaptionEvalCommand(opts: CaptionEvalCliOptions & { dataset: string; split: string; lang: string; limit?: number; model?: string; json?: boolean; save?: boolean }): Promise<void> {
  if (opts.dataset !== 'flickr8k') throw new UsageError(`captions are measured on --dataset flickr8k (got "${opts.dataset}")`);
  if (opts.split !== 'dev' && opts.split !== 'test') throw new UsageError(`--split must be dev or test (got "${opts.split}")`);
  if (opts.lang !== 'en' && opts.lang !== 'zh') throw new UsageError(`--lang must be en or zh (got "${opts.lang}")`);
  if (opts.rerankWeight !== undefined && !Number.isFinite(opts.rerankWeight)) throw new UsageError('--rerank-weight must be a number');
  const cap = await loadCaptioner(opts.model);
  try {
    const r = await evalCaptions(cap, { split: opts.split, lang: opts.lang, beam: opts.beam, rerank: opts.rerank, rerankWeight: opts.rerankWeight, consensus: opts.consensus, memory: opts.memory, limit: opts.limit, modelDir: opts.model ?? defaultModelDir });
    if (opts.save) {
      const flags = [opts.beam ? ` --beam ${opts.beam}` : '', opts.rerank ? ' --rerank' : '', opts.rerankWeight !== undefined ? ` --rerank-weight ${opts.rerankWeight}` : '', opts.consensus !== undefined ? ` --consensus ${opts.consensus}` : '', opts.memory === false ? ' --no-memory' : '', opts.limit ? ` --limit ${opts.limit}` : '', opts.model ? ` --model ${modelArg(opts.model)}` : ''].join('');
      const name = `caption-${opts.split === 'test' ? '' : `${opts.split}-`}${opts.lang}${opts.limit ? `-limit${opts.limit}` : ''}`;
      saveEvalResult(opts.model ?? defaultModelDir, name, r, `vlm eval caption --dataset flickr8k --split ${opts.split} --lang ${opts.lang}${flags} --json`);
    }
    if (opts.json) printJsonLine(r);
    else {
      const line = (label: string, s: typeof r.scores) =>
        console.log(`  ${label.padEnd(8)} BLEU-1 ${s.bleu1.toFixed(3)}  BLEU-2 ${s.bleu2.toFixed(3)}  BLEU-3 ${s.bleu3.toFixed(3)}  BLEU-4 ${s.bleu4.toFixed(3)}  ROUGE-L ${s.rougeL.toFixed(3)}  CIDEr-D ${s.ciderD.toFixed(3)}`);
      console.log(`Flickr8k ${r.split} (${r.lang}${r.lang === 'zh' ? ', character-level' : ''}), ${r.n_images} images x 5 references, beam ${r.beam}, ${r.seconds} s`);
      line('beam', r.scores);
      if (r.rerank) {
        const mem = r.rerank.memory ? ` + memory ${r.rerank.memory.weight} (k ${r.rerank.memory.k})` : '';
        line(`rerank ${r.rerank.weight}${r.rerank.consensus ? ` + consensus ${r.rerank.consensus}` : ''}${mem}`, r.rerank.scores);
        console.log(`  re-rank weight sweep (BLEU-4 / CIDEr-D): ${r.rerank.sweep.map((s) => `${s.weight}: ${s.bleu4.toFixed(3)} / ${s.ciderD.toFixed(3)}`).join(', ')}`);
      }
    }
  } finally {
    await cap.dispose();
  }
}
