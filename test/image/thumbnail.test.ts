import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage } from '../../src/image/decode.js';
import { makeThumbnail } from '../../src/image/thumbnail.js';
import { InputError } from '../../src/util/errors.js';
import { BLUE, RED, fromRaw, near, pixel, solid } from './fixtures.js';

test('thumbnail is EXIF-rotated, fits maxSide, and carries no metadata', async () => {
  // stored 600x300, red block in the stored top-left; orientation 6 displays it 300x600 with red top-right
  const jpeg = await fromRaw(600, 300, (x, y) => (x < 150 && y < 150 ? RED : BLUE))
    .jpeg({ quality: 95 })
    .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '1/1 2/1 3/1', GPSLongitudeRef: 'E', GPSLongitude: '4/1 5/1 6/1' } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const thumb = await makeThumbnail(jpeg);
  const m = await sharp(thumb).metadata();
  assert.equal(m.format, 'jpeg');
  assert.deepEqual([m.width, m.height], [128, 256]);
  assert.equal(m.orientation, undefined, 'pixels are upright, no tag needed');
  assert.equal(m.exif, undefined, 'no EXIF (and so no GPS) in thumbnails');
  const img = await decodeImage(thumb);
  near(pixel(img, 120, 5), RED, 40, 'top-right');
  near(pixel(img, 5, 250), BLUE, 40, 'bottom-left');
});

test('small images are not enlarged; webp output; alpha on white', async () => {
  const small = await solid(100, 50, RED, 4, 0).png().toBuffer(); // fully transparent
  const t = await makeThumbnail(small, 256, { format: 'webp' });
  const m = await sharp(t).metadata();
  assert.deepEqual([m.format, m.width, m.height], ['webp', 100, 50]);
  near(pixel(await decodeImage(t), 50, 25), [255, 255, 255], 3, 'white');
  const wide = await makeThumbnail(await solid(1000, 10, RED).png().toBuffer(), 64);
  assert.deepEqual([(await sharp(wide).metadata()).width, (await sharp(wide).metadata()).height], [64, 1]);
});

test('bad input is an InputError', async () => {
  await assert.rejects(makeThumbnail(Buffer.from('nope')), InputError);
  await assert.rejects(makeThumbnail('/no/such/file.jpg'), (e: unknown) => e instanceof InputError && /file not found/.test(e.message));
});
