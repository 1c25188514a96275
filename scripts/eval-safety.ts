/**
 * What can be measured of the image safety classifier offline (no unsafe images are available here):
 * its false-positive rate on everyday and specialist images that are all safe, at both levels, and
 * which classes it picks for them. Results in <model>/eval/safety.json. Recall on unsafe images is NOT measured.
 *
 *   nice -n 10 node dist/scripts/eval-safety.js [--gtsrb 300] [--seed 1]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { judge, loadSafetyClassifier, SAFETY_CLASSES, type SafetyScores } from '../src/apps/safety/index.js';
import { wilson } from '../src/eval/explain-stats.js';
import { saveEvalResult } from '../src/eval/model-card.js';
import { loadFlickr8k } from '../src/train/datasets/flickr8k.js';
import { loadGtsrb } from '../src/train/datasets/gtsrb.js';
import { loadMedpix } from '../src/train/datasets/medpix.js';
import { datasetDir, defaultModelDir, repoRoot } from '../src/util/paths.js';
import { progress } from '../src/util/progress.js';
import { createRng, shuffleInPlace } from '../src/util/rng.js';

const { values } = parseArgs({ options: { gtsrb: { type: 'string', default: '300' }, seed: { type: 'string', default: '1' }, model: { type: 'string' } } });
const nGtsrb = Number(values.gtsrb), seed = Number(values.seed);
const modelDir = values.model ?? defaultModelDir;
const demoDir = join(repoRoot, 'assets', 'demo');

const sets: { name: string; what: string; paths: string[] }[] = [
  { name: 'flickr8k_test', what: 'Flickr8k test photos (people, animals, outdoor scenes; some swimwear and beach scenes)', paths: loadFlickr8k('test', 'en').imagePaths },
  { name: 'demo_photos', what: 'the 68 demo photos in assets/demo (Debian-packaged photos: nature, objects, signs, microscopy)', paths: readdirSync(demoDir).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(demoDir, f)) },
  { name: 'gtsrb_test', what: `GTSRB test traffic signs (35x35 photos of pictogram signs), ${nGtsrb} seeded`, paths: shuffleInPlace(loadGtsrb().test.map((x) => x.path), createRng(seed)).slice(0, nGtsrb) },
];
const medpix = datasetDir('medpix');
if (medpix) sets.push({ name: 'medpix_test', what: 'MedPix test CT/MRI slices (greyscale clinical images)', paths: loadMedpix('test').map((r) => r.path) });

const classifier = await loadSafetyClassifier();
const result: Record<string, unknown> = {
  task: 'safety', classifier: classifier.id, threshold: 0.5,
  levels: { explicit: 'P(Porn) + P(Hentai) >= 0.5 (the default)', suggestive: 'P(Porn) + P(Hentai) + P(Sexy) >= 0.5' },
  not_measured: 'recall / true-positive rate on unsafe images: no unsafe images are available offline, so how many unsafe images the classifier misses is unknown here',
};
const round = (x: number) => Math.round(x * 1e4) / 1e4;
for (const set of sets) {
  const bar = progress(set.name, set.paths.length);
  const scores: SafetyScores[] = [];
  for (let i = 0; i < set.paths.length; i += 32) {
    scores.push(...(await classifier.classify(set.paths.slice(i, i + 32))));
    bar.tick(Math.min(32, set.paths.length - i));
  }
  bar.stop();
  const n = scores.length;
  const explicit = scores.map((s) => judge(s, classifier.id));
  const suggestive = scores.map((s) => judge(s, classifier.id, { level: 'suggestive' }));
  const k1 = explicit.filter((v) => v.flagged).length, k2 = suggestive.filter((v) => v.flagged).length;
  const tops = Object.fromEntries(SAFETY_CLASSES.map((c) => [c, explicit.filter((v) => v.top === c).length]));
  const flaggedNames = (vs: typeof explicit) => vs.map((v, i) => (v.flagged ? { file: set.paths[i].split('/').pop(), unsafe: v.unsafe, top: v.top } : undefined)).filter(Boolean).slice(0, 10);
  result[set.name] = {
    what: set.what, n,
    fp_rate_explicit: round(k1 / n), fp_explicit_ci95: wilson(k1, n).map(round), flagged_explicit: k1,
    fp_rate_suggestive: round(k2 / n), fp_suggestive_ci95: wilson(k2, n).map(round), flagged_suggestive: k2,
    top_class_counts: tops,
    examples_flagged_explicit: flaggedNames(explicit), examples_flagged_suggestive: flaggedNames(suggestive),
  };
  saveEvalResult(modelDir, 'safety', result, `nice -n 10 node dist/scripts/eval-safety.js --gtsrb ${nGtsrb} --seed ${seed}`);
}
console.log(JSON.stringify(result));
classifier.dispose();
