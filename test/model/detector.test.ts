import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../../src/image/decode.js';
import type { RgbImage } from '../../src/image/types.js';
import { COCO_LABELS, countByClass, loadDetector, type Detector } from '../../src/model/detector.js';
import { detectorModelPath } from '../../src/model/detector-load.js';
import { VlmError } from '../../src/util/errors.js';
import { repoRoot } from '../../src/util/paths.js';

// Photos from Debian's darknet package, committed under assets/demo (see SOURCES.md there).
const PERSON_DOG_HORSE = join(repoRoot, 'assets', 'demo', 'person-dog-horse.jpg');
const HORSES = join(repoRoot, 'assets', 'demo', 'horses.jpg');

let detector: Detector;
before(async () => {
  detector = await loadDetector('centernet');
});
after(() => detector?.dispose());

function mirror(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const src = (y * img.width + x) * 3;
      const dst = (y * img.width + (img.width - 1 - x)) * 3;
      out.set(img.data.subarray(src, src + 3), dst);
    }
  }
  return { width: img.width, height: img.height, data: out };
}

test('centernet weights come from the installed @vladmandic/human package, not the network', () => {
  const path = detectorModelPath('centernet');
  assert.ok(path.includes(`${sep}@vladmandic${sep}human${sep}models${sep}centernet.json`), path);
});

test('a folder without the weights fails with a message that says what to do', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'vlm-det-'));
  try {
    await assert.rejects(loadDetector('centernet', { modelDir: empty }), (e: unknown) => e instanceof VlmError && /centernet\.json not found/.test(e.message));
    await assert.rejects(loadDetector('nanodet', { modelDir: empty }), (e: unknown) => e instanceof VlmError && /human-models/.test(e.message));
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('finds the person, the dog and the horse in darknet person.jpg, with sane boxes and class scores', async () => {
  const { detections, classScores } = await detector.analyze(PERSON_DOG_HORSE);
  const labels = new Set(detections.filter((d) => d.score >= 0.25).map((d) => d.label));
  for (const want of ['person', 'dog', 'horse']) assert.ok(labels.has(want), `expected ${want} in ${[...labels].join(', ')}`);
  assert.equal(classScores.length, 80);
  assert.equal(COCO_LABELS[classScores.indexOf(Math.max(...classScores))], 'person');
  for (const d of detections) {
    assert.equal(d.label, COCO_LABELS[d.classId]);
    const [x, y, w, h] = d.box;
    assert.ok(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 1 + 1e-6 && y + h <= 1 + 1e-6, `box ${d.box}`);
    // Detections are heatmap peaks, so no detection can beat its class's heatmap maximum.
    assert.ok(d.score <= classScores[d.classId] + 1e-6, `${d.label} ${d.score} > ${classScores[d.classId]}`);
  }
  const sorted = detections.map((d) => d.score);
  assert.deepEqual(sorted, [...sorted].sort((a, b) => b - a));
});

test('decoded pixels give the same answer as the path, twice; a mirrored photo mirrors the person box', async () => {
  const img = await decodeImage(PERSON_DOG_HORSE);
  const fromPath = await detector.analyze(PERSON_DOG_HORSE);
  const again = await detector.analyze(img);
  assert.deepEqual(again, fromPath);
  const fromPixels = again.detections;

  const person = fromPixels.find((d) => d.label === 'person');
  const mirrored = (await detector.detect(mirror(img))).find((d) => d.label === 'person');
  assert.ok(person && mirrored, 'person found in both');
  const [x, y, w, h] = person.box;
  const [mx, my, mw, mh] = mirrored.box;
  assert.ok(Math.abs(mx - (1 - x - w)) < 0.05 && Math.abs(my - y) < 0.05 && Math.abs(mw - w) < 0.05 && Math.abs(mh - h) < 0.05, `${person.box} vs mirrored ${mirrored.box}`);
});

test('a 4000-px version of the photo (shrunk before the detector) finds the same person in the same place', async () => {
  const small = (await detector.detect(PERSON_DOG_HORSE)).find((d) => d.label === 'person');
  const big = await sharp(PERSON_DOG_HORSE).resize({ width: 4000 }).jpeg({ quality: 90 }).toBuffer();
  const dets = await detector.detect(big);
  const person = dets.find((d) => d.label === 'person');
  assert.ok(small && person, 'person found in both');
  assert.ok(Math.abs(person.score - small.score) < 0.1, `${person.score} vs ${small.score}`);
  person.box.forEach((v, k) => assert.ok(Math.abs(v - small.box[k]) < 0.03, `${person.box} vs ${small.box}`));
  assert.ok(dets.some((d) => d.label === 'dog'), dets.map((d) => d.label).join(', '));
});

test('counts several horses in darknet horses.jpg and nothing in a blank image', async () => {
  const counts = countByClass(await detector.detect(HORSES), 0.3);
  assert.ok(counts[COCO_LABELS.indexOf('horse')] >= 2, `horses counted: ${counts[COCO_LABELS.indexOf('horse')]}`);
  const grey: RgbImage = { width: 160, height: 120, data: new Uint8Array(160 * 120 * 3).fill(128) };
  assert.deepEqual(await detector.detect(grey), []);
  assert.ok(Math.max(...(await detector.classScores(grey))) < 0.1);
});

test('a disposed detector refuses work', async () => {
  const d = await loadDetector('centernet');
  d.dispose();
  await assert.rejects(d.detect(PERSON_DOG_HORSE), /disposed/);
});
