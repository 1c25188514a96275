import type { Command } from 'commander';
import { loadEncoder } from '../../encoders/load.js';
import { UsageError, VlmError } from '../../util/errors.js';
import { action, printJsonLine } from '../run.js';
import { modelOption, parseLang } from '../options.js';
import { embedImagesSafely } from '../../apps/embed-images.js';
import type { Lang } from '../../encoders/encoder.js';

interface EmbedOpts { model?: string; json?: boolean; lang?: Lang }

/** `vlm embed image|text`: JSONL {"path"|"text", "embedding"} on stdout. */
export function registerEmbed(program: Command): void {
  const embed = program.command('embed').description('embed images or texts into the shared space (JSONL on stdout)');

  embed
    .command('image')
    .description('embed image files: one {"path","embedding"} line each')
    .argument('<paths...>', 'image files (JPEG, PNG, WebP, GIF, TIFF)')
    .addOption(modelOption())
    .option('--json', 'JSON lines only on stdout (the default output is JSON lines too)')
    .action(action(async (paths: string[], opts: EmbedOpts) => {
      const encoder = await loadEncoder(opts.model);
      let failed = 0;
      for await (const r of embedImagesSafely(encoder, paths)) {
        if ('error' in r) {
          failed++;
          console.error(`vlm: skipped ${r.item}: ${r.error}`);
        } else {
          printJsonLine({ path: r.item, embedding: Array.from(r.embedding) });
        }
      }
      await encoder.dispose();
      if (failed === paths.length) throw new VlmError(`none of the ${paths.length} image(s) could be read`);
      if (failed) process.exitCode = 1;
    }));

  embed
    .command('text')
    .description('embed texts: one {"text","embedding"} line each')
    .argument('<texts...>', 'texts (English or Chinese; language detected per text unless --lang)')
    .option('--lang <lang>', 'force the language: en or zh', parseLang)
    .addOption(modelOption())
    .option('--json', 'JSON lines only on stdout (the default output is JSON lines too)')
    .action(action(async (texts: string[], opts: EmbedOpts) => {
      const empty = texts.findIndex((t) => t.trim() === '');
      if (empty >= 0) throw new UsageError(`text #${empty + 1} is empty: give a non-empty text`);
      const encoder = await loadEncoder(opts.model);
      const vecs = await encoder.embedTexts(texts, { lang: opts.lang });
      texts.forEach((text, i) => printJsonLine({ text, embedding: Array.from(vecs[i]) }));
      await encoder.dispose();
    }));
}
