/**
 * Failure examples for the model card's limitations, run on held-out data: the Flickr8k test captions whose
 * own image ranks worst among a seeded pool of test images, and plain text queries over the demo photos.
 * Results in <model>/eval/limitations-examples.json.
 *
 *   nice -n 10 node dist/scripts/limitations-examples.js [--pool 100] [--seed 1]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dot } from '../src/encoders/encoder.js';
import { loadEncoder } from '../src/encoders/load.js';
import { saveEvalResult } from '../src/eval/model-card.js';
import { loadFlickr8k } from '../src/train/datasets/flickr8k.js';
import { defaultModelDir, repoRoot } from '../src/util/paths.js';
import { createRng, shuffleInPlace } from '../src/util/rng.js';

const { values } = parseArgs({ options: { pool: { type: 'string', default: '100' }, seed: { type: 'string', default: '1' }, model: { type: 'string' } } });
const poolSize = Number(values.pool), seed = Number(values.seed);
const modelDir = values.model ?? defaultModelDir;
const encoder = await loadEncoder(values.model);

// 1. Retrieval misses among a pool of test images.
const test = loadFlickr8k('test', 'en');
const pool = shuffleInPlace(Array.from(test.images.keys()), createRng(seed)).slice(0, poolSize);
const imgs = await encoder.embedImages(pool.map((i) => test.imagePaths[i]));
const caps = test.captions.filter((c) => pool.includes(c.imageIndex));
const txt = await encoder.embedTexts(caps.map((c) => c.text), { lang: 'en' });
const ranked = caps.map((c, k) => {
  const sims = imgs.map((v) => dot(v, txt[k]));
  const own = sims[pool.indexOf(c.imageIndex)];
  const top = sims.indexOf(Math.max(...sims));
  return { caption: c.text, rank: 1 + sims.filter((s) => s > own).length, top1_caption: test.captions.find((x) => x.imageIndex === pool[top])!.text };
});
const misses = ranked.sort((a, b) => b.rank - a.rank).slice(0, 6);

// 2. Text queries over the demo photos, with the photo a person would pick.
const demoDir = join(repoRoot, 'assets', 'demo');
const demo = readdirSync(demoDir).filter((f) => f.endsWith('.jpg')).sort();
const demoVecs = await encoder.embedImages(demo.map((f) => join(demoDir, f)));
const PROBES: [string, string][] = [
  ['a cat', 'cat.jpg'], ['一只猫', 'cat.jpg'], ['a giraffe', 'giraffe.jpg'], ['horses in a field', 'horses.jpg'],
  ['a cup of coffee', 'coffee.jpg'], ['a rocket', 'rocket.jpg'], ['a no parking sign', 'sign-no-parking.jpg'],
  ['a butterfly on a flower', 'butterfly.jpg'], ['a ladybird', 'ladybird.jpg'], ['an electronic circuit board', 'circuit-board.jpg'],
  ['rowing boats at sunset', 'rowing-boats-sunset.jpg'], ['kites on a beach', 'kites-beach.jpg'],
];
const q = await encoder.embedTexts(PROBES.map(([t]) => t));
const probes = PROBES.map(([query, expected], k) => {
  const order = demoVecs.map((v, i) => [dot(v, q[k]), i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => demo[i]);
  return { query, expected, rank: order.indexOf(expected) + 1, top: order.slice(0, 3) };
});

const result = {
  task: 'limitations-examples', model: encoder.id,
  retrieval_pool: `${poolSize} seeded Flickr8k test images, their ${caps.length} English captions`,
  retrieval_misses: misses,
  probe_pool: `${demo.length} demo photos (assets/demo)`,
  probes,
  probe_top1: probes.filter((p) => p.rank === 1).length / probes.length,
};
saveEvalResult(modelDir, 'limitations-examples', result, `nice -n 10 node dist/scripts/limitations-examples.js --pool ${poolSize} --seed ${seed}`);
console.log(JSON.stringify(result, null, 1));
await encoder.dispose();
