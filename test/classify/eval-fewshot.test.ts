import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { l2normalize, type Encoder } from '../../src/encoders/encoder.js';
import type { ImageInput } from '../../src/image/types.js';
import { normalizeRows, stack } from '../../src/apps/classify/matrix.js';
import { runFewShotCore, topConfusions } from '../../src/eval/fewshot/core.js';
import { sampleSupport } from '../../src/eval/fewshot/sample.js';
import { fewShotConfusionSvg, fewShotCurveSvg } from '../../src/eval/fewshot/charts.js';
import { evalMedpixCases } from '../../src/eval/fewshot/medpix-cases.js';
import { evalFewShot } from '../../src/eval/run-fewshot.js';
import { svgToPng } from '../../src/eval/plots.js';
import { loadMedpix } from '../../src/train/datasets/medpix.js';
import { datasetDir } from '../../src/util/paths.js';
import { createRng } from '../../src/util/rng.js';
import { ColourEncoder } from '../eval/colour-encoder.js';

function clusters(C: number, perClass: number, d: number, noise: number, seed: number) {
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rng() + 1e-12)) * Math.cos(2 * Math.PI * rng());
  const centres = Array.from({ length: C }, (_, c) => Float32Array.from({ length: d }, (_, k) => (k === c ? 3 : 0)));
  const vecs: Float32Array[] = [];
  const y: number[] = [];
  for (let c = 0; c < C; c++) for (let i = 0; i < perClass; i++) {
    vecs.push(Float32Array.from(centres[c], (v) => v + noise * gauss()));
    y.push(c);
  }
  return { X: normalizeRows(stack(vecs)), y, centres };
}

test('support draws are per class, seeded and nested across shot counts', () => {
  const labels = [...Array(60).keys()].map((i) => i % 3);
  const one = sampleSupport(labels, 3, 1, 0);
  const four = sampleSupport(labels, 3, 4, 0);
  assert.equal(one.length, 3);
  assert.equal(four.length, 12);
  assert.ok(one.every((i) => four.includes(i)));
  assert.deepEqual(new Set(four.map((i) => labels[i])), new Set([0, 1, 2]));
  assert.deepEqual(sampleSupport(labels, 3, 4, 0), four);
  assert.notDeepEqual(sampleSupport(labels, 3, 4, 1), four);
  assert.equal(sampleSupport(labels, 3, 100, 0).length, 60); // a class gives all it has
});

test('few-shot benchmark core: curves per method and seed, zero-shot reference, confusions that add up', () => {
  const C = 5;
  const train = clusters(C, 20, 8, 1.0, 1);
  const testSet = clusters(C, 30, 8, 1.0, 2);
  const zeroShot = normalizeRows(stack(train.centres.map((c, i) => (i < 2 ? c : Float32Array.from(c, (v, k) => (k === (i + 1) % C ? 3 : 0)))))); // 2 of 5 right
  const r = runFewShotCore(
    { classes: C, trainX: train.X, trainY: train.y, testX: testSet.X, testY: testSet.y, zeroShot },
    { shots: [4, 1, 4], seeds: 2, methods: ['prototype', 'tip', 'probe'] },
  );
  assert.ok(r.zero_shot && Math.abs(r.zero_shot.accuracy - 0.4) < 0.1, `zero-shot ${r.zero_shot?.accuracy}`);
  for (const m of ['prototype', 'tip', 'probe'] as const) {
    const curve = r.curves[m] ?? [];
    assert.deepEqual(curve.map((p) => p.shots), [1, 4]);
    assert.equal(curve[1].runs.length, 2);
    assert.deepEqual(curve[1].runs.map((x) => x.support), [20, 20]);
    assert.ok(curve[1].accuracy.mean > 0.85, `${m} 4-shot ${curve[1].accuracy.mean}`);
    assert.ok(curve[1].accuracy.mean > r.zero_shot.accuracy);
  }
  assert.equal(r.zero_shot.calibrated.length, 2);
  assert.ok(r.zero_shot.calibrated[1].temperature.mean > 0);
  assert.ok(r.confusion);
  assert.equal(r.confusion.shots, 4);
  // 20 shots of a 20-per-class pool is the whole pool for every seed: fitted and scored once.
  const whole = runFewShotCore(
    { classes: C, trainX: train.X, trainY: train.y, testX: testSet.X, testY: testSet.y, zeroShot },
    { shots: [2, 20], seeds: 3, methods: ['prototype'] },
  );
  assert.deepEqual(whole.curves.prototype?.map((p) => p.runs.length), [3, 1]);
  assert.equal(whole.curves.prototype?.[1].accuracy.std, 0);
  assert.equal(r.confusion.matrix.flat().reduce((a, b) => a + b, 0), 2 * testSet.y.length);
  const top = topConfusions(r.confusion.matrix, ['a', 'b', 'c', 'd', 'e'], 3);
  assert.ok(top.every((t) => t.true !== t.predicted && t.count > 0));
});

const noGtsrb = datasetDir('gtsrb') ? false : 'needs ../shared/data/gtsrb (or VLM_DATA)';
const noMedpix = datasetDir('medpix') ? false : 'needs ../shared/data/medpix (or VLM_DATA)';

test('evalFewShot on GTSRB runs end to end with a (weak) colour encoder; charts render', { skip: noGtsrb }, async () => {
  const r = await evalFewShot(new ColourEncoder(), { dataset: 'gtsrb', shots: [2, 1], seeds: 2, methods: ['prototype', 'tip'], testLimit: 150, quiet: true, diskCache: false });
  assert.equal(r.n_test, 150);
  assert.equal(r.labels.length, 43);
  assert.deepEqual(r.shots, [1, 2]);
  assert.deepEqual(r.train_per_class, new Array(43).fill(40));
  assert.equal(r.curves.prototype?.[1].runs[0].support, 86);
  assert.equal(r.best.length, 2);
  // Mean colour tells some signs apart (blue mandatory signs vs red-rimmed ones): above chance.
  assert.ok(r.curves.prototype![1].accuracy.mean > r.chance, `${r.curves.prototype![1].accuracy.mean}`);
  for (const svg of [fewShotCurveSvg(r), fewShotConfusionSvg(r) as string]) assert.ok((await svgToPng(svg)).length > 1000);
});

test('MedPix case retrieval: an encoder that knows the body region scores precision@5 = 1 for location', { skip: noMedpix }, async () => {
  const records = loadMedpix();
  const regions = [...new Set(records.map((r) => r.location_category))];
  const byFile = new Map(records.map((r) => [r.file, r]));
  const byCaption = new Map(records.map((r) => [r.caption || r.case_title, r]));
  const onehot = (i: number) => l2normalize(Float32Array.from({ length: 8 }, (_, k) => (k === i ? 1 : 0)));
  const oracle: Encoder = {
    id: 'test-region-oracle', dim: 8,
    async embedImages(xs: ImageInput[]) { return xs.map((x) => onehot(regions.indexOf(byFile.get(basename(x as string))!.location_category))); },
    async embedTexts(ts: string[]) { return ts.map((t) => onehot(regions.indexOf(byCaption.get(t)?.location_category ?? ''))); },
    dispose() {},
  };
  const r = await evalMedpixCases(oracle, { k: 5, quiet: true, diskCache: false });
  assert.equal(r.n_queries, 200);
  assert.equal(r.image.location, 1);
  assert.ok(r.text_caption.location > 0.95, `${r.text_caption.location}`); // a few captions repeat across regions
  assert.ok(r.chance.location > 0.1 && r.chance.location < 0.5);
  assert.ok(r.image.modality < 0.8, 'knowing the region says little about CT vs MRI');
  assert.match(r.note, /not a diagnosis/);
});
