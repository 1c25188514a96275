import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CardSection, EvalRecord } from '../model-card.js';
import type { FewShotResult } from '../run-fewshot.js';
import { repoRoot } from '../../util/paths.js';
import { methodName } from './charts.js';
import type { CaseRetrievalResult } from './medpix-cases.js';
import { accuracyAt, table } from './report.js';

const pct = (x: number) => (100 * x).toFixed(1);

/**
 * The model card's few-shot section (scripts/model-card.ts): best method per dataset at a few shot counts, case
 * retrieval, and the GTSRB curve, from the recorded fewshot-* and cases-medpix results. The full tables and
 * commands are in docs/traffic-signs.md and docs/medical.md.
 */
export function fewShotCardSection(have: Map<string, EvalRecord>, modelDir: string): CardSection {
  const names = [...have.keys()].filter((k) => k.startsWith('fewshot-') || k === 'cases-medpix').sort();
  const rows = names.filter((k) => k.startsWith('fewshot-')).map((k) => {
    const r = have.get(k)?.result as unknown as FewShotResult;
    const at = (shots: number) => {
      if (!r.shots.includes(shots)) return '–';
      const [m, a] = r.methods.map((x) => [x, accuracyAt(r, x, shots)] as const).reduce((p, q) => ((q[1]?.mean ?? -1) > (p[1]?.mean ?? -1) ? q : p));
      return a ? `${pct(a.mean)} ± ${pct(a.std)} (${methodName(m)})` : '–';
    };
    return [r.name, r.features, String(r.n_test), pct(r.chance), r.zero_shot ? pct(r.zero_shot.accuracy) : '–', at(4), at(16), at(40)];
  });
  const text: string[] = [
    'Few-shot adapters (`vlm fewshot train`, `vlm classify --adapter`) on benchmarks the model never saw in training:',
    'support sets drawn from train, test accuracy in % (mean ± std over 3 seeds, one run where the support set is the whole',
    'train folder; best method in brackets). "features" is what the few-shot methods fit on: the shared 256-d embedding, or',
    'the frozen tower\'s features (`tower:b13_gap`: block 13, global average; `tower@128:b6_g3`: block 6 of a 128-px input on a',
    '3x3 grid, for traffic signs; chosen on validation splits carved from train or on MedPix dev); zero-shot always',
    'uses the embedding. Fashion-MNIST is scored on a seeded 1,000-image subset of its test split. Details, all methods and',
    'the commands: docs/traffic-signs.md, docs/medical.md.',
    '',
    table(['task', 'features', 'test images', 'chance', 'zero-shot', 'best 4-shot', 'best 16-shot', 'best 40-shot'], rows),
  ];
  const cases = have.get('cases-medpix')?.result as unknown as CaseRetrievalResult | undefined;
  if (cases) {
    text.push('', `MedPix case retrieval, precision@${cases.k} of matching body location / modality over ${cases.n_queries} test queries: ` +
      `image query ${pct(cases.image.location)} / ${pct(cases.image.modality)}, text query (fused) ${pct(cases.text_fused.location)} / ${pct(cases.text_fused.modality)}, ` +
      `chance ${pct(cases.chance.location)} / ${pct(cases.chance.modality)}. Research use only, not a diagnosis.`);
  }
  // The GTSRB curve, copied next to the card (figures are paths inside the model folder).
  const figures: CardSection['figures'] = [];
  const curve = join(repoRoot, 'docs', 'img', 'fewshot-gtsrb.svg');
  if (existsSync(curve)) {
    mkdirSync(join(modelDir, 'plots'), { recursive: true });
    copyFileSync(curve, join(modelDir, 'plots', 'fewshot-gtsrb.svg'));
    figures.push({ path: 'plots/fewshot-gtsrb.svg', caption: 'GTSRB test accuracy against training examples per class, per few-shot method (tower@128:b6_g3), with zero-shot and chance.' });
  }
  return { heading: 'Few-shot classification', text: text.join('\n'), results: names, figures };
}
