import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { preprocessBatch, preprocessImage, type PreprocessSpec } from '../../src/image/preprocess.js';
import { InputError } from '../../src/util/errors.js';
import { datasetDir } from '../../src/util/paths.js';
import { BLUE, GREEN, RED, fromRaw, near, rawRgb, solid, tempDir, type Rgb } from './fixtures.js';

const tmp = tempDir(after);
const BLACK: Rgb = [0, 0, 0];

/** Pixel (x, y) of an NHWC tensor of width w, scaled back to 0..255 (spec used the default scale, no mean/std). */
function at(t: Float32Array, w: number, x: number, y: number): number[] {
  const i = (y * w + x) * 3;
  return [t[i] * 255, t[i + 1] * 255, t[i + 2] * 255];
}

const plain = (width: number, height: number, resize: PreprocessSpec['resize']): PreprocessSpec => ({
  width,
  height,
  resize,
  layout: 'nhwc',
});

// 300x100: red | green | blue thirds
const thirds = (x: number): Rgb => (x < 100 ? RED : x < 200 ? GREEN : BLUE);

test('squash keeps all three thirds; center-crop keeps only the middle; pad letterboxes', async () => {
  const png = await fromRaw(300, 100, thirds).png().toBuffer();

  const sq = await preprocessImage(png, plain(30, 30, 'squash'));
  assert.equal(sq.length, 30 * 30 * 3);
  for (const y of [0, 15, 29]) {
    near(at(sq, 30, 3, y), RED, 2, `squash left y=${y}`);
    near(at(sq, 30, 15, y), GREEN, 2, `squash middle y=${y}`);
    near(at(sq, 30, 26, y), BLUE, 2, `squash right y=${y}`);
  }

  // shortest side 100 -> 30, then the central 30x30 is the middle third only (its outermost columns
  // mix in a little red/blue, as resize-then-crop does in CLIP too, so look 2 px in)
  const cc = await preprocessImage(png, plain(30, 30, 'center-crop'));
  for (const [x, y] of [[2, 0], [27, 0], [15, 15], [2, 29], [27, 29]]) near(at(cc, 30, x, y), GREEN, 2, `crop ${x},${y}`);

  // 300x100 -> 30x10 band centred in 30x30, black above and below
  const pad = await preprocessImage(png, plain(30, 30, 'pad'));
  near(at(pad, 30, 15, 2), BLACK, 1, 'pad top');
  near(at(pad, 30, 15, 27), BLACK, 1, 'pad bottom');
  near(at(pad, 30, 3, 15), RED, 2, 'pad band left');
  near(at(pad, 30, 15, 15), GREEN, 2, 'pad band middle');
  near(at(pad, 30, 26, 15), BLUE, 2, 'pad band right');
  const grey = await preprocessImage(png, { ...plain(30, 30, 'pad'), padColor: [128, 128, 128] });
  near(at(grey, 30, 15, 2), [128, 128, 128], 1, 'pad colour');
});

test('center-crop of a portrait image keeps the vertical middle', async () => {
  const png = await fromRaw(20, 60, (_x, y) => (y < 20 ? RED : y < 40 ? GREEN : BLUE)).png().toBuffer();
  const cc = await preprocessImage(png, plain(10, 10, 'center-crop'));
  near(at(cc, 10, 5, 2), GREEN, 2, 'top of crop');
  near(at(cc, 10, 5, 7), GREEN, 2, 'bottom of crop');
  const sq = await preprocessImage(png, plain(10, 10, 'squash'));
  near(at(sq, 10, 5, 0), RED, 2, 'squash top');
  near(at(sq, 10, 5, 9), BLUE, 2, 'squash bottom');
});

test('scale, mean and std normalise each channel', async () => {
  const png = await solid(8, 8, [255, 128, 0]).png().toBuffer();
  const t = await preprocessImage(png, { ...plain(4, 4, 'squash'), mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 0.1] });
  near(t.subarray(0, 3), [1, (128 / 255 - 0.5) / 0.25, -5], 1e-5, 'default scale 1/255');
  // ImageNet-style on the 0..255 scale
  const u = await preprocessImage(png, { ...plain(4, 4, 'squash'), scale: 1, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] });
  near(u.subarray(45, 48), [(255 - 123.675) / 58.395, (128 - 116.28) / 57.12, (0 - 103.53) / 57.375], 1e-5, 'scale 1');
});

test('nchw is the channel-planar transpose of nhwc', async () => {
  // 4x2 RgbImage with a distinct value in every channel of every pixel; same-size "resize" is the identity
  const data = new Uint8Array(rawRgb(4, 2, (x, y) => [10 * x + y, 100 + 10 * x + y, 200 + 10 * x + y]));
  const img = { width: 4, height: 2, data };
  const spec: PreprocessSpec = { width: 4, height: 2, resize: 'squash', layout: 'nhwc', scale: 1 };
  const hwc = await preprocessImage(img, spec);
  const chw = await preprocessImage(img, { ...spec, layout: 'nchw' });
  assert.deepEqual(Array.from(hwc), Array.from(data), 'nhwc with scale 1 reproduces the pixels');
  const n = 8;
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) assert.equal(chw[c * n + p], hwc[p * 3 + c], `p=${p} c=${c}`);
  // pixel (x=3, y=1): R plane at index 7, G plane at 8+7, B plane at 16+7
  assert.deepEqual([chw[7], chw[15], chw[23]], [31, 131, 231]);
});

test('flip mirrors left and right', async () => {
  const png = await fromRaw(40, 20, (x) => (x < 20 ? RED : BLUE)).png().toBuffer();
  const spec = plain(20, 10, 'squash');
  const a = await preprocessImage(png, spec);
  const b = await preprocessImage(png, { ...spec, flip: true });
  near(at(a, 20, 2, 5), RED, 2, 'unflipped left');
  near(at(b, 20, 2, 5), BLUE, 2, 'flipped left');
  near(at(b, 20, 17, 5), RED, 2, 'flipped right');
  // pixel-exact mirror
  for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) assert.deepEqual(at(b, 20, x, y), at(a, 20, 19 - x, y));
});

test('EXIF orientation is applied in the one-pipeline path', async () => {
  // stored 60x40 landscape, left half red; orientation 6 displays it as 40x60 with red on top
  const jpeg = await fromRaw(60, 40, (x) => (x < 30 ? RED : BLUE)).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  const t = await preprocessImage(tmp.write('rot.jpg', jpeg), plain(20, 30, 'squash'));
  near(at(t, 20, 10, 3), RED, 40, 'top');
  near(at(t, 20, 10, 26), BLUE, 40, 'bottom');
});

test('batch equals the concatenation of single images; errors name the item', async () => {
  const a = await solid(30, 20, RED).png().toBuffer();
  const b = tmp.write('b.png', await fromRaw(25, 25, thirds).png().toBuffer());
  const spec: PreprocessSpec = { width: 8, height: 8, resize: 'center-crop', layout: 'nchw', mean: [0.48, 0.46, 0.41], std: [0.27, 0.26, 0.28] };
  const batch = await preprocessBatch([a, b, a], spec);
  const one = [await preprocessImage(a, spec), await preprocessImage(b, spec)];
  assert.equal(batch.length, 3 * 3 * 64);
  assert.deepEqual(batch.subarray(0, 192), one[0]);
  assert.deepEqual(batch.subarray(192, 384), one[1]);
  assert.deepEqual(batch.subarray(384), one[0]);
  await assert.rejects(preprocessBatch([a, Buffer.from('not an image')], spec), (e: unknown) => e instanceof InputError && /^image #1: not an image/.test(e.message));
  await assert.rejects(preprocessBatch([a, tmp.dir + '/gone.png'], spec), (e: unknown) => e instanceof InputError && /file not found: .*gone\.png/.test(e.message));
  await assert.rejects(preprocessImage(a, { ...spec, std: [1, 0, 1] }), RangeError);
});

const flickr = datasetDir('flickr8k');
test('real Flickr8k JPEGs preprocess to CLIP tensors', { skip: flickr ? false : 'needs ../shared/data/flickr8k' }, async () => {
  const dir = join(flickr!, 'images');
  const files = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 4).map((f) => join(dir, f));
  const spec: PreprocessSpec = {
    width: 224, height: 224, resize: 'center-crop', layout: 'nchw',
    mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711],
  };
  const t = await preprocessBatch(files, spec);
  assert.equal(t.length, files.length * 3 * 224 * 224);
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of t) { min = Math.min(min, v); max = Math.max(max, v); sum += v; }
  assert.ok(min >= -1.8 && max <= 2.2, `range ${min}..${max} fits CLIP normalisation of 0..255`);
  assert.ok(max - min > 1, 'real photos are not flat');
  assert.ok(Math.abs(sum / t.length) < 1.5, 'mean is near zero');
});
