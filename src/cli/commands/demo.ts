import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadEncoder } from '../../encoders/load.js';
import { dot } from '../../encoders/encoder.js';
import { repoRoot } from '../../util/paths.js';
import { action } from '../run.js';
import { zeroShotLabels } from '../../apps/classify/zero-shot.js';
import { modelOption } from '../options.js';

const DEMO_LABELS = ['dog', 'cat', 'horse', 'bird', 'giraffe', 'person', 'rocket', 'cup of coffee', 'kite', 'stars in the night sky'];
const DEMO_QUERIES = ['a dog', 'people flying kites on the beach', 'a cup of coffee', '一只猫', '一个人骑马'];

/** `npm start` until the web app lands: zero-shot labels and text-to-image search over the bundled demo photos. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('classify the bundled demo photos and search them by text, with the default model')
    .addOption(modelOption())
    .action(action(async (opts: { model?: string }) => {
      const dir = join(repoRoot, 'assets', 'demo');
      const files = readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().map((f) => join(dir, f));
      const encoder = await loadEncoder(opts.model);
      console.log(`vlm demo — model ${encoder.id}, ${files.length} photos in assets/demo\n`);

      console.log(`Zero-shot classification against: ${DEMO_LABELS.join(', ')}`);
      const classifier = await zeroShotLabels(encoder, DEMO_LABELS.map((label) => ({ label, synonyms: [] })), { lang: 'en' });
      const embeddings: Float32Array[] = [];
      for await (const r of classifier.classifyFiles(files)) {
        if ('error' in r) continue;
        embeddings.push(r.embedding);
        const top = r.labels.slice(0, 2).map((l) => `${l.label} ${(l.score * 100).toFixed(0)}%`).join(', ');
        console.log(`  ${r.path.slice(dir.length + 1).padEnd(24)} ${top}`);
      }

      console.log('\nText-to-image search (top 3):');
      const queries = await encoder.embedTexts(DEMO_QUERIES);
      DEMO_QUERIES.forEach((q, i) => {
        const ranked = embeddings.map((e, j) => ({ j, s: dot(queries[i], e) })).sort((a, b) => b.s - a.s).slice(0, 3);
        console.log(`  "${q}": ${ranked.map((r) => `${files[r.j].slice(dir.length + 1)} (${r.s.toFixed(2)})`).join(', ')}`);
      });
      console.log('\nTry: npx vlm classify assets/demo/dog-bicycle-truck.jpg --labels "dog,cat,car"   (npx vlm --help for more)');
      await encoder.dispose();
    }));
}
