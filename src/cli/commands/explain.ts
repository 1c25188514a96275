import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { explainImageText, explainerFor, EXPLAIN_METHODS, type ExplainMethod } from '../../apps/explain/index.js';
import type { Lang } from '../../encoders/encoder.js';
import { loadEncoder } from '../../encoders/load.js';
import { decodeImage } from '../../image/decode.js';
import { validateText } from '../../text/validate.js';
import { UsageError, VlmError } from '../../util/errors.js';
import { modelOption, parseLang } from '../options.js';
import { action, printJsonLine } from '../run.js';

interface ExplainOpts { out?: string; method?: ExplainMethod; model?: string; lang?: Lang; json?: boolean }

function parseMethod(value: string): ExplainMethod {
  if (!EXPLAIN_METHODS.includes(value as ExplainMethod)) throw new InvalidArgumentError(`expected ${EXPLAIN_METHODS.join(' or ')}.`);
  return value as ExplainMethod;
}

/** `vlm explain <image> "<text>" --out heat.png`: which regions (and words) make the image match the text. */
export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('heatmap of the image regions (and the words) that drive an image-text match')
    .argument('<image>', 'image file')
    .argument('<text>', 'the text to match, e.g. "a dog on the grass" (English or Chinese)')
    .option('--out <png>', 'write the heatmap over the image as a PNG at the image\'s size')
    .option('--method <m>', 'dense (our own models: the tower\'s feature maps through the head, blended with 8x8 occlusion; ~4 s) or occlusion (any model: 6x6 blurred patches)', parseMethod)
    .option('--lang <lang>', 'text language: en or zh (default: detected)', parseLang)
    .addOption(modelOption())
    .option('--json', 'one JSON object {"path","text","width","height","grid","words",...} on stdout')
    .action(action(async (path: string, rawText: string, opts: ExplainOpts) => {
      // Both inputs are checked before the model loads, so a typo fails in a fraction of a second.
      const text = validateText(rawText);
      const image = await decodeImage(path);
      const encoder = await loadEncoder(opts.model);
      try {
        const dense = opts.method === 'occlusion' ? undefined : await explainerFor(encoder, opts.model);
        if (opts.method === 'dense' && !dense) throw new UsageError(`--method dense needs a vlm model folder (this model is ${encoder.id}): use --method occlusion`);
        try {
          const r = await explainImageText(encoder, image, text, { method: opts.method, dense, lang: opts.lang, png: opts.out !== undefined });
          if (opts.out) {
            try {
              writeFileSync(opts.out, r.png!);
            } catch (e) {
              throw new VlmError(`cannot write ${opts.out}: ${(e as Error).message}`);
            }
          }
          if (opts.json) {
            printJsonLine({
              path, text: r.text, width: r.width, height: r.height, grid: r.grid, words: r.words,
              method: r.method, similarity: r.similarity, rows: r.map.rows, cols: r.map.cols, scores: r.scores, model: encoder.id, ...(opts.out ? { out: opts.out } : {}),
            });
            return;
          }
          console.log(`${path}  "${r.text}"  similarity ${r.similarity.toFixed(3)}  (${r.method}, ${r.map.rows}x${r.map.cols} regions)`);
          const shades = ' .:-=+*#%@';
          for (const row of r.grid) console.log('  ' + row.map((v) => shades[Math.min(9, Math.floor(v * 10))].repeat(2)).join(''));
          console.log('words (similarity lost without the word):');
          for (const w of r.words ?? []) console.log(`  ${(w.contribution >= 0 ? '+' : '') + w.contribution.toFixed(3)}  ${w.word}`);
          if (opts.out) console.log(`heatmap written to ${opts.out}`);
        } finally {
          await dense?.dispose();
        }
      } finally {
        await encoder.dispose();
      }
    }));
}
