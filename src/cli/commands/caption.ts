import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { loadCaptioner } from '../../apps/caption/index.js';
import type { Lang } from '../../encoders/encoder.js';
import { InputError } from '../../util/errors.js';
import { action, printJsonLine } from '../run.js';
import { parseLang, parsePositiveInt } from '../options.js';

interface CaptionOpts { lang?: Lang; beam?: number; rerank?: boolean; json?: boolean; model?: string }

/** `vlm caption <images...>`: one caption per image (English or Chinese), from the model's caption decoder. */
export function registerCaption(program: Command): void {
  program
    .command('caption')
    .description('describe images in a sentence (English or Chinese)')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, GIF, TIFF)')
    .option('--lang <lang>', 'caption language: en or zh', parseLang, 'en')
    .option('--beam <n>', 'beam width (1 = greedy; default from the model, chosen on dev)', parsePositiveInt)
    .option('--rerank', "re-rank the final beam by the contrastive model's image-text score")
    .option('--model <dir>', 'model folder (default: the shipped default model)')
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
            const [r] = await cap.captionImages([path], { lang: opts.lang, beam: opts.beam, rerank: opts.rerank });
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
