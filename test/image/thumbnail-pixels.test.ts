import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { preprocessImage, type PreprocessSpec } from '../../src/image/preprocess.js';
import { decodeForModel, decodeInside, resizeArea, thumbnailSize } from '../../src/image/thumbnail-pixels.js';
import { BLUE, RED, fromRaw, near, pixel } from './fixtures.js';

/** A busy picture (gradients + stripes): resampling differences would show in it. */
function busy(w: number, h: number) {
  return fromRaw(w, h, (x, y) => [(x * 7 + y * 3) & 255, (x * y) & 255, ((x >> 3) & 1) * 200 + (y % 50)]);
}

const SQUASH: PreprocessSpec = { width: 224, height: 224, resize: 'squash', scale: 1 / 255, layout: 'nhwc' };
const SIGNED: PreprocessSpec = { ...SQUASH, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

test('decodeForModel pixels, given back to preprocessImage, give exactly the tensor it makes from the file', async () => {
  const inputs: [string, Buffer][] = [
    ['Flickr8k-sized JPEG', await busy(500, 375).jpeg({ quality: 90 }).toBuffer()],
    // 2000x1500: sharp shrinks JPEGs on load; the shared decode must do the same
    ['3 MP JPEG', await busy(2000, 1500).jpeg({ quality: 80 }).toBuffer()],
    ['EXIF-rotated JPEG', await busy(640, 320).jpeg().withMetadata({ orientation: 6 }).toBuffer()],
    ['PNG with alpha', await busy(300, 200).ensureAlpha(0.5).png().toBuffer()],
    ['grey PNG smaller than the model input', await busy(100, 80).greyscale().png().toBuffer()],
    ['WebP', await busy(800, 600).webp().toBuffer()],
  ];
  for (const spec of [SQUASH, SIGNED, { ...SQUASH, width: 299, height: 299, kernel: 'lanczos3' as const }]) {
    for (const [what, bytes] of inputs) {
      const { pixels } = await decodeForModel(bytes, spec);
      assert.deepEqual([pixels.width, pixels.height], [spec.width, spec.height]);
      const fromFile = await preprocessImage(bytes, spec);
      const fromShared = await preprocessImage(pixels, spec);
      assert.ok(Buffer.from(fromShared.buffer).equals(Buffer.from(fromFile.buffer)), `${what} (${spec.width}, ${spec.kernel ?? 'cubic'}): tensors differ`);
    }
  }
});

test('decodeForModel and decodeInside report the displayed size and the header', async () => {
  const jpeg = await busy(640, 320).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const a = await decodeForModel(jpeg, SQUASH);
  assert.deepEqual([a.width, a.height, a.header.format], [320, 640, 'jpeg']);
  const b = await decodeInside(jpeg, 128);
  assert.deepEqual([b.width, b.height, b.pixels.width, b.pixels.height], [320, 640, 64, 128]);
  assert.deepEqual(thumbnailSize(320, 640, 128), { width: 64, height: 128 });
  assert.deepEqual(thumbnailSize(100, 50, 128), { width: 100, height: 50 }, 'never enlarged');
  assert.deepEqual(thumbnailSize(1000, 3, 128), { width: 128, height: 1 });
});

test('resizeArea averages the covered area, keeps edges and colours, and enlarges too', async () => {
  // left half red, right half blue, 224x224 -> 128x96 (a squashed model input back to a 4:3 thumbnail)
  const data = new Uint8Array(224 * 224 * 3);
  for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) data.set(x < 112 ? RED : BLUE, (y * 224 + x) * 3);
  const t = resizeArea({ width: 224, height: 224, data }, 128, 96);
  assert.deepEqual([t.width, t.height, t.data.length], [128, 96, 128 * 96 * 3]);
  assert.deepEqual(pixel(t, 10, 50), RED);
  assert.deepEqual(pixel(t, 120, 50), BLUE);
  assert.deepEqual(pixel(t, 63, 0), RED, 'output pixel 63 covers input 110.25..112: all red');
  assert.deepEqual(pixel(t, 64, 95), BLUE);
  // a 2x2 block averages exactly
  const two = resizeArea({ width: 2, height: 2, data: Uint8Array.from([0, 0, 0, 100, 100, 100, 200, 200, 200, 100, 100, 100]) }, 1, 1);
  assert.deepEqual([...two.data], [100, 100, 100]);
  const up = resizeArea({ width: 1, height: 1, data: Uint8Array.from([9, 8, 7]) }, 3, 2);
  assert.deepEqual([...up.data], Array(6).fill([9, 8, 7]).flat());
  // close to libvips' own shrink of a real picture
  const png = await busy(224, 224).png().toBuffer();
  const raw = await sharp(png).raw().toBuffer();
  const ours = resizeArea({ width: 224, height: 224, data: raw }, 56, 56);
  const vips = await sharp(png).resize(56, 56, { kernel: 'linear' }).raw().toBuffer();
  let diff = 0;
  for (let i = 0; i < vips.length; i++) diff += Math.abs(vips[i] - ours.data[i]);
  near([diff / vips.length], [0], 12, 'mean absolute difference to libvips');
});
