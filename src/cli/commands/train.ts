import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../util/errors.js';
import { repoRoot } from '../../util/paths.js';
import { action, printJsonLine } from '../run.js';

interface TrainOpts { config: string; out: string; resume?: boolean; json?: boolean }

/** `vlm train --config FILE --out DIR [--resume]`: contrastive training on cached tower features. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a dual-encoder on Flickr8k train (select on dev); resumable after a kill with --resume')
    .option('--config <file>', 'training recipe (JSON, see configs/)', join(repoRoot, 'configs', 'default.json'))
    .option('--out <dir>', 'where to write the trained model folder', 'runs/model')
    .option('--resume', 'continue the interrupted run with the same --config and --out')
    .option('--json', 'print the training result as JSON on stdout')
    .addHelpText('after', '\nNeeds the frozen-tower feature caches (node dist/scripts/cache-features.js --tower <name>) and the\n' +
      'vocabulary (node dist/scripts/extract-vocab.js); see docs/training.md.')
    .action(action(async (opts: TrainOpts) => {
      if (!existsSync(opts.config)) throw new UsageError(`no such training config: ${opts.config}`);
      // Imported here: training pulls in tfjs, which other commands' start-up should not pay for.
      const { train } = await import('../../train/train.js');
      const r = await train(opts.config, opts.out, { resume: opts.resume });
      if (opts.json) printJsonLine(r);
      else {
        console.log(`${r.finished ? 'trained' : 'stopped'} (${r.stopReason}) after ${r.steps} steps, ${r.wallMinutes.toFixed(1)} min; best epoch ${r.bestEpoch}; model in ${r.outDir}`);
        if (r.dev) console.log(JSON.stringify(r.dev));
      }
    }));
}
