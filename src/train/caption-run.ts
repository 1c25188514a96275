import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { cacheDir, defaultModelDir, repoRoot } from '../util/paths.js';
import { readRecipe, trainCaptioner } from './caption-train.js';

/**
 * Train the caption decoder:
 *   nice -n 10 node dist/src/train/caption-run.js [--config configs/caption.json] [--run <dir>] [--out models/default]
 *     [--resume] [--max-minutes N] [--max-steps N] [--epochs N] [--no-out]
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: join(repoRoot, 'configs', 'caption.json') },
      run: { type: 'string' },
      out: { type: 'string', default: defaultModelDir },
      'no-out': { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      'max-minutes': { type: 'string' },
      'max-steps': { type: 'string' },
      epochs: { type: 'string' },
      'dev-images': { type: 'string' },
    },
  });
  const recipe = readRecipe(resolve(values.config!));
  if (values['max-minutes']) recipe.training.max_minutes = Number(values['max-minutes']);
  if (values['max-steps']) recipe.training.max_steps = Number(values['max-steps']);
  if (values.epochs) recipe.training.epochs = Number(values.epochs);
  if (values['dev-images']) recipe.training.dev_images = Number(values['dev-images']);
  const runDir = resolve(values.run ?? cacheDir('runs', recipe.name));
  const p = await trainCaptioner(recipe, { runDir, outDir: values['no-out'] ? undefined : resolve(values.out!), resume: values.resume });
  console.log(JSON.stringify({ runDir, step: p.step, epochs: p.history.length, bestStep: p.history[p.bestCheck]?.step, bestDevCiderD: p.bestMetric, minutes: p.elapsedMs / 60000, stop: p.stopReason }));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exit(1);
});
