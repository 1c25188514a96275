/**
 * The study behind the GTSRB feature choice in docs/traffic-signs.md: which frozen-tower features the few-shot
 * probes fit on, scored on a validation split carved from TRAIN, never on test. The train file names are
 * <track>_<frame>.png; per class, every fourth track (in name order) is held out whole, so no validation sign was
 * photographed in the same drive-by as a support image. Support sets come from the remaining tracks
 * (16 per class, `--draws` seeded draws, and all of them); the methods are the library's own (runFewShotCore).
 *   node dist/scripts/gtsrb-feature-study.js [--draws 2] [--save]
 * --save records the result as models/default/eval/gtsrb-feature-study.json (read by src/eval/fewshot/docs.ts).
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { FewShotMethod } from '../src/apps/classify/fewshot-model.js';
import { stack } from '../src/apps/classify/matrix.js';
import { parseTowerFeatures } from '../src/apps/classify/tower-features.js';
import { runFewShotCore } from '../src/eval/fewshot/core.js';
import { loadFewShotSet, type SetItem } from '../src/eval/fewshot/datasets.js';
import { towerFeatureRows } from '../src/eval/fewshot/tower-features.js';
import { saveEvalResult } from '../src/eval/model-card.js';
import { log } from '../src/util/log.js';
import { defaultModelDir } from '../src/util/paths.js';

/** The feature sets compared, each with the ridge probe (the logistic probe takes most of an hour per feature set). */
const FEATURES = [
  'tower:b13_gap', 'tower:final_g2', 'tower:b13_g2', 'tower:b13_g3', 'tower:b10_g3', 'tower:b6_g3', 'tower:b6_g2+b10_g2+b13_g2',
  'tower@128:b13_g2', 'tower@128:b6_g3', 'tower@128:b6_g3+b10_g3+b13_g2',
  'tower@96:b6_g3', 'tower@96:b3_g3', 'tower@96:b3_g3+b6_g3',
];
const methods: FewShotMethod[] = ['ridge'];
const SHOTS = 16;

const { values } = parseArgs({ options: { draws: { type: 'string', default: '2' }, save: { type: 'boolean', default: false } } });
const draws = Number(values.draws);

/** Per class, tracks in name order; every fourth one is validation. */
function splitByTrack(train: SetItem[]): { support: SetItem[]; validation: SetItem[] } {
  const tracks = new Map<number, string[]>();
  const trackOf = (x: SetItem) => basename(x.key).split('_')[0];
  for (const x of train) tracks.set(x.label, [...new Set([...(tracks.get(x.label) ?? []), trackOf(x)])].sort());
  const held = (x: SetItem) => (tracks.get(x.label) as string[]).indexOf(trackOf(x)) % 4 === 3;
  return { support: train.filter((x) => !held(x)), validation: train.filter(held) };
}

const set = loadFewShotSet('gtsrb', 'en');
const { support, validation } = splitByTrack(set.train);
const classes = set.labels.length;
// A shot count no class reaches draws every support candidate: the "all" column.
const ALL = support.length;
log(`gtsrb feature study: ${support.length} support candidates, ${validation.length} validation images (held-out tracks), ${classes} classes`);

const rows = [];
for (const features of FEATURES) {
  const f = parseTowerFeatures(features);
  if (!f) throw new Error(`not a tower feature spec: ${features}`);
  const { train, test, dim } = await towerFeatureRows(f, 'gtsrb', support, validation, { label: `gtsrb ${features}` });
  const core = runFewShotCore(
    { classes, trainX: stack(train, dim), trainY: support.map((x) => x.label), testX: stack(test, dim), testY: validation.map((x) => x.label), zeroShot: null },
    { shots: [SHOTS, ALL], seeds: draws, methods },
  );
  const byMethod = Object.fromEntries(methods.map((m) => {
    const [k16, all] = core.curves[m]!;
    return [m, { shots16: k16.accuracy, all: all.accuracy.mean }];
  }));
  log(`${features}: ${methods.map((m) => `${m} 16-shot ${(100 * byMethod[m].shots16.mean).toFixed(1)}%, all ${(100 * byMethod[m].all).toFixed(1)}%`).join('; ')}`);
  rows.push({ features, side: f.size, dim, ...byMethod });
}

const result = {
  task: 'feature-study',
  dataset: 'gtsrb',
  split: 'train: support tracks vs held-out tracks (every fourth track per class)',
  support: support.length,
  validation: validation.length,
  shots: SHOTS,
  draws,
  rows,
};
console.log(JSON.stringify(result));
if (values.save) saveEvalResult(defaultModelDir, 'gtsrb-feature-study', result, `node dist/scripts/gtsrb-feature-study.js --draws ${draws} --save`);
