/**
 * Faithfulness of `vlm explain`, measured on held-out data (Flickr8k test, GTSRB test), results in
 * <model>/eval/explain.json (written after each part, so a stopped run keeps what it measured):
 *  1. pointing game: a GTSRB test sign pasted at a seeded random place and size (48-80 px) on a Flickr8k test
 *     photo, text "a traffic sign"; a hit when the heatmap peak falls inside the sign (also with 15 px tolerance);
 *  2. deletion / insertion AUC for dense and occlusion against random maps on each method's own grid on seeded Flickr8k test image-caption pairs,
 *     with bootstrap 95% intervals of each method's margin over the random map (per pair, paired).
 *
 *   nice -n 10 node dist/scripts/eval-explain.js [--pairs 200] [--composites 100] [--seed 1] [--model DIR] [--only dense|occlusion [--resume]]
 *   nice -n 15 node dist/scripts/eval-explain.js --dev-cache --composites 200 --seed 2 --sides 224,320,448,576 --pads 0,32 --flips 0,1 --occlusions 6x2,8x2
 *     (cache the dev composites' location embeddings and occlusion maps under .cache/explain-dev), then
 *   nice -n 15 node dist/scripts/eval-explain.js --dev --composites 200 --seed 2 --sides ... --flips 0,1 --occlusions 6x2,8x2
 *     (score the study of settings from that cache: explain-dev.json; choose there, never on the test composites)
 *   --record NAME with --dev: save the study as <model>/eval/NAME.json (e.g. a focused study beside the main one)
 *   --seed 2,3 with --dev-cache / --dev: the same on each seed's composites (explain-dev-seeds.json), a check that a lead is not luck
 */
import { parseArgs } from 'node:util';
import { loadEncoder } from '../src/encoders/load.js';
import { DENSE_BLEND, DENSE_DEFAULTS, denseMap, explainerFor, heatmap, occlusionMap, peak, type Heatmap } from '../src/apps/explain/index.js';
import { workCopy } from '../src/apps/explain/image-ops.js';
import { decodeImage } from '../src/image/decode.js';
import { auc, deletionInsertion } from '../src/eval/explain-curves.js';
import { pointingHit, randomComposite } from '../src/eval/explain-pointing.js';
import { bootstrapMean, wilson } from '../src/eval/explain-stats.js';
import { devStudy } from '../src/eval/explain-tune.js';
import { fillDevCache } from '../src/eval/explain-dev-cache.js';
import { loadEvalResults, saveEvalResult } from '../src/eval/model-card.js';
import { loadFlickr8k } from '../src/train/datasets/flickr8k.js';
import { loadGtsrb } from '../src/train/datasets/gtsrb.js';
import { VlmError } from '../src/util/errors.js';
import { defaultModelDir, resolveModelDir } from '../src/util/paths.js';
import { progress } from '../src/util/progress.js';
import { createRng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '200' }, composites: { type: 'string', default: '100' }, seed: { type: 'string', default: '1' },
    model: { type: 'string' }, only: { type: 'string' }, resume: { type: 'boolean', default: false }, steps: { type: 'string', default: '4' }, 'no-save': { type: 'boolean', default: false }, record: { type: 'string' },
    dev: { type: 'boolean', default: false }, 'dev-cache': { type: 'boolean', default: false }, pads: { type: 'string', default: '0' }, flips: { type: 'string', default: '0' }, occlusions: { type: 'string', default: '' }, crops: { type: 'string', default: '' }, sides: { type: 'string', default: '320,448,576' },
  },
});
const nPairs = Number(values.pairs), nComp = Number(values.composites), seed = Number(values.seed), steps = Number(values.steps);
// --dev and --dev-cache take several seeds (2,3): the same study on each seed's composites
const seeds = values.seed!.split(',').map(Number);
if (seeds.some((x) => !Number.isInteger(x)) || (seeds.length > 1 && !values.dev && !values['dev-cache'])) throw new VlmError('--seed: one integer (several, comma-separated, only with --dev or --dev-cache)');
const modelDir = values.model ? resolveModelDir(values.model) : defaultModelDir;
const only = values.only as 'dense' | 'occlusion' | undefined;
if (only !== undefined && only !== 'dense' && only !== 'occlusion') throw new VlmError('--only must be dense or occlusion');
const base = `nice -n 10 node dist/scripts/eval-explain.js --pairs ${nPairs} --composites ${nComp} --seed ${seed} --steps ${steps}${values.model ? ` --model ${values.model}` : ''}`;
// --resume adds the phases of this run to the stored record (same seed, so the same composites and pairs)
const previous = values.resume ? loadEvalResults(modelDir).get('explain') : undefined;
const command = previous ? `${previous.command} && ${base} --only ${only} --resume` : `${base}${only ? ` --only ${only}` : ''}`;
const POINTING_TEXT = 'a traffic sign';
const TOLERANCE = 15;

const cmdDev = () => `nice -n 15 node dist/scripts/eval-explain.js --dev --composites ${nComp} --seed ${values.seed} --sides ${values.sides} --flips ${values.flips} --occlusions ${values.occlusions}${values.crops ? ` --crops ${values.crops}` : ''}${values.model ? ` --model ${values.model}` : ''}`;
const encoder = await loadEncoder(modelDir);
const dense = await explainerFor(encoder, modelDir);
if (!dense) throw new VlmError(`${modelDir} is not a vlm model folder: the dense method cannot be evaluated`);
if (values['dev-cache']) {
  const nums = (x: string) => x.split(',').filter(Boolean).map(Number);
  const flips = values.flips!.split(',').map((f) => f === '1' || f === 'true');
  const variants = nums(values.sides!).flatMap((side) => nums(values.pads!).flatMap((pad) => flips.map((flip) => ({ side, pad, flip }))));
  const occlusion = values.occlusions!.split(',').filter(Boolean).map((o) => {
    const [cells, patch] = o.split('x').map(Number);
    return { cells, patch };
  });
  const crops = values.crops!.split(',').filter(Boolean).map((o) => {
    const [cells, span] = o.split('x').map(Number);
    return { cells, span };
  });
  for (const s of seeds) {
    const bar = progress(`dev cache seed ${s}`, nComp);
    await fillDevCache(dense, encoder, { modelId: encoder.id, n: nComp, seed: s, text: POINTING_TEXT, variants, occlusion, crops, onItem: () => bar.tick(1) });
    bar.stop();
  }
  await dense.dispose();
  await encoder.dispose();
  process.exit(0);
}
if (values.dev) {
  // --dev: score the study of settings on the cached dev composites (explain-dev.json); the test composites are not touched
  const sides = values.sides!.split(',').map(Number);
  const occlusionKeys = values.occlusions!.split(',').filter(Boolean).map((o) => `o${o}`);
  const flip = values.flips!.split(',').includes('1');
  const cmd = `nice -n 15 node dist/scripts/eval-explain.js --dev-cache --composites ${nComp} --seed ${values.seed} --sides ${values.sides} --pads 0 --flips ${values.flips} --occlusions ${values.occlusions}${values.crops ? ` --crops ${values.crops}` : ''}${values.model ? ` --model ${values.model}` : ''} && ${cmdDev()}${values.record ? ` --record ${values.record}` : ''}`;
  const cropKeys = values.crops!.split(',').filter(Boolean).map((o) => `c${o}`);
  const t = await devStudy(encoder, { seeds, n: nComp, sides, occlusionKeys, cropKeys, flip, text: POINTING_TEXT });
  // the crop study and the several-seed check live beside the main record (other composites, fewer settings)
  const name = values.record ?? (cropKeys.length ? 'explain-dev-crops' : seeds.length > 1 ? 'explain-dev-seeds' : 'explain-dev');
  if (!values['no-save']) saveEvalResult(modelDir, name, { task: 'explain-dev', model: encoder.id, ...t }, cmd);
  for (const r of (t.best as object[]).slice(0, 8)) console.error(JSON.stringify(r));
  await dense.dispose();
  await encoder.dispose();
  process.exit(0);
}
/** The dense method as `vlm explain` runs it (DENSE_DEFAULTS and DENSE_BLEND), in words. */
function denseSettings(): string {
  const d = DENSE_DEFAULTS, b = DENSE_BLEND;
  const parts = [`surgery (shared location direction removed), tower at ${d.scales.join(' + ')} px${d.flip ? ' and their mirror images' : ''} averaged on ${dense!.rows}x${dense!.cols}`];
  if (d.smooth) parts.push(`Gaussian smoothing sigma ${d.smooth} cells`);
  if (d.scaleNorm) parts.push('each scale z-scored');
  if (b.occlusion) parts.push(`blended (z-scores) with occlusion ${b.occlusion.cells}x${b.occlusion.cells} cells, patches ${b.occlusion.patch}x${b.occlusion.patch}, weight ${b.occlusion.weight}`);
  if (b.crops) parts.push(`blended (z-scores) with crop similarity ${b.crops.cells}x${b.crops.cells} cells, windows ${b.crops.span}x${b.crops.span}, weight ${b.crops.weight}`);
  return `${parts.join('; ')} (chosen on dev composites: explain-dev.json)`;
}
const test = loadFlickr8k('test', 'en');
const gtsrb = loadGtsrb();
const randomMap = (rng: () => number, n: number): Heatmap => heatmap(n, n, Array.from({ length: n * n }, rng));
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const result: Record<string, unknown> = {
  ...(previous?.result ?? {}),
  task: 'explain', model: encoder.id, seed,
  settings: { dense: denseSettings(), occlusion: 'blurred patches of 2x2 cells on a 6x6 grid (49 images)', curve_steps: steps, curve_grid: 14, deletion_fill: 'blur (sigma = side/16)', insertion_start: 'blur (sigma = side/16)' },
};
const save = () => {
  if (!values['no-save']) saveEvalResult(modelDir, 'explain', result, command);
};

// The composites and pairs are drawn up front (seeded), so every phase sees the same ones.
const rng = createRng(seed);
const composites = Array.from({ length: nComp }, () => {
  const photo = Math.floor(rng() * test.images.length);
  const sign = gtsrb.test[Math.floor(rng() * gtsrb.test.length)];
  return { photo, sign, r: createRng(Math.floor(rng() * 2 ** 31)) };
});
const shuffled = Array.from(test.images.keys());
for (let i = shuffled.length - 1; i > 0; i--) {
  const j = Math.floor(rng() * (i + 1));
  [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
}
const pairs = shuffled.slice(0, nPairs).map((idx) => {
  const caps = test.captions.filter((c) => c.imageIndex === idx);
  return { idx, caption: caps[Math.floor(rng() * caps.length)].text };
});
const built = await Promise.all(composites.map(async (c) => ({ ...c, comp: await randomComposite(await decodeImage(test.imagePaths[c.photo]), c.sign.path, c.r) })));
const [signText] = await encoder.embedTexts([POINTING_TEXT]);

// Pointing game, one method at a time (dense and the random map are cheap; occlusion costs 50 encoder calls each).
const pointing: Record<string, unknown> = { ...((previous?.result.pointing as object) ?? {}), text: POINTING_TEXT, composites: nComp, photos: 'Flickr8k test', signs: 'GTSRB test', sign_size_px: [48, 80], tolerance_px: TOLERANCE };
result.pointing = pointing;
async function* pointingPhase(method: 'dense' | 'occlusion' | 'random'): AsyncGenerator<void> {
  let hits = 0, tol = 0, n = 0;
  const misses: Record<string, unknown>[] = [];
  const prng = createRng(seed + 7);
  const bar = progress(`pointing ${method}`, nComp);
  for (const c of built) {
    const map = method === 'dense' ? (await denseMap(encoder, dense!, c.comp.image, signText)).map
      : method === 'occlusion' ? (await occlusionMap(encoder, c.comp.image, signText)).map : randomMap(prng, 14);
    const hit = pointingHit(map, c.comp);
    hits += Number(hit);
    tol += Number(pointingHit(map, c.comp, TOLERANCE));
    n++;
    if (!hit && misses.length < 6 && method !== 'random') {
      const p = peak(map, c.comp.image.width, c.comp.image.height);
      misses.push({ photo: test.images[c.photo], sign_class: gtsrb.classes[c.sign.label].official, box: c.comp.box, peak: { x: Math.round(p.x), y: Math.round(p.y) } });
    }
    bar.tick(1);
    if (n % 10 === 0 || n === nComp) {
      pointing[method] = {
        n, accuracy: round(hits / n), ci95: wilson(hits, n).map((x) => round(x)),
        accuracy_tol15: round(tol / n), ci95_tol15: wilson(tol, n).map((x) => round(x)),
        ...(method === 'random' ? {} : { misses }),
      };
      save();
    }
    yield;
  }
  bar.stop();
}

// Deletion / insertion curves, one method (and its equally coarse random baseline) at a time.
const curves: Record<string, unknown> = {
  ...((previous?.result.curves as object) ?? {}),
  pairs: nPairs, data: 'Flickr8k test, seeded images with one of their 5 English captions',
  note: `AUC of the cosine similarity along the curve (x = fraction of 14x14 regions removed/restored, 0..1). Baselines: a random map on the method's own grid (${dense.rows}x${dense.cols} for dense, 6x6 for occlusion), so smoothness alone cannot win. Deletion margin = random AUC - method AUC (positive: the method finds what matters sooner); insertion margin = method AUC - random AUC. 95% CIs: paired bootstrap over pairs.`,
};
result.curves = curves;
async function* curvePhase(method: 'dense' | 'occlusion'): AsyncGenerator<void> {
  const cells = method === 'dense' ? dense!.rows : 6;
  const d: number[][] = [[], []], ins: number[][] = [[], []];
  const mean = [0, 1].map(() => ({ del: Array(steps + 1).fill(0), ins: Array(steps + 1).fill(0) }));
  const prng = createRng(seed + 11);
  const bar = progress(`curves ${method}`, nPairs);
  for (const [p, pair] of pairs.entries()) {
    const image = await workCopy(await decodeImage(test.imagePaths[pair.idx]));
    const [t] = await encoder.embedTexts([pair.caption]);
    const map = method === 'dense' ? (await denseMap(encoder, dense!, image, t)).map : (await occlusionMap(encoder, image, t)).map;
    const c = await deletionInsertion(encoder, image, t, [map, randomMap(prng, cells)], { steps, grid: 14 });
    for (const k of [0, 1]) {
      d[k].push(auc(c.deletion[k]));
      ins[k].push(auc(c.insertion[k]));
      c.deletion[k].forEach((y, s) => (mean[k].del[s] += y));
      c.insertion[k].forEach((y, s) => (mean[k].ins[s] += y));
    }
    bar.tick(1);
    const n = p + 1;
    if (n % 10 === 0 || n === nPairs) {
      const brng = createRng(seed + 2);
      const dm = bootstrapMean(d[1].map((x, i) => x - d[0][i]), brng);
      const im = bootstrapMean(ins[0].map((x, i) => x - ins[1][i]), brng);
      const avg = (xs: number[]) => round(xs.reduce((a, b) => a + b, 0) / xs.length);
      curves[method] = {
        n, deletion_auc: avg(d[0]), insertion_auc: avg(ins[0]), random_deletion_auc: avg(d[1]), random_insertion_auc: avg(ins[1]),
        deletion_margin: round(dm.mean), deletion_margin_ci95: dm.ci95.map((x) => round(x)),
        insertion_margin: round(im.mean), insertion_margin_ci95: im.ci95.map((x) => round(x)),
        deletion_curve: mean[0].del.map((x) => round(x / n)), random_deletion_curve: mean[1].del.map((x) => round(x / n)),
        insertion_curve: mean[0].ins.map((x) => round(x / n)), random_insertion_curve: mean[1].ins.map((x) => round(x / n)),
      };
      save();
    }
    yield;
  }
  bar.stop();
}

/** Runs phases side by side, one item each in turn, so a run stopped by the clock has some of every phase. */
async function interleave(...phases: AsyncGenerator<void>[]): Promise<void> {
  const active = [...phases];
  while (active.length) {
    for (const g of [...active]) if ((await g.next()).done) active.splice(active.indexOf(g), 1);
  }
}

// Cheap first, so a run stopped by the clock still has the most: dense and random, then occlusion.
if (only !== 'occlusion') {
  await interleave(pointingPhase('dense'));
  await interleave(pointingPhase('random'));
  await interleave(curvePhase('dense'));
}
if (only !== 'dense') await interleave(pointingPhase('occlusion'), curvePhase('occlusion'));
save();
console.log(JSON.stringify(result));
await dense.dispose();
await encoder.dispose();
