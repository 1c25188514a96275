import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import sharp from 'sharp';
import { parseExifDate, readImageMeta } from '../../src/image/meta.js';
import { InputError } from '../../src/util/errors.js';
import { RED, pngHeaderOnly, solid, tempDir } from './fixtures.js';

const tmp = tempDir(after);

const exif = {
  IFD0: { Make: 'Canon', Model: 'Canon EOS 5D' },
  IFD2: { DateTimeOriginal: '2021:07:04 15:30:00', OffsetTimeOriginal: '+02:00' },
  IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '48/1 51/1 2400/100', GPSLongitudeRef: 'W', GPSLongitude: '2/1 21/1 300/100' },
};

test('JPEG EXIF: capture time with offset, camera, GPS, oriented size', async () => {
  const jpeg = await solid(60, 40, RED).jpeg().withExif(exif).withMetadata({ orientation: 6 }).toBuffer();
  const path = tmp.write('photo.jpg', jpeg);
  const m = await readImageMeta(path);
  assert.equal(m.format, 'jpeg');
  assert.equal(m.bytes, statSync(path).size);
  assert.deepEqual([m.width, m.height, m.orientation], [40, 60, 6], 'orientation 6 displays portrait');
  assert.equal(m.takenAt, Date.UTC(2021, 6, 4, 13, 30, 0), '15:30 at +02:00 is 13:30 UTC');
  assert.equal(m.camera, 'Canon EOS 5D');
  assert.ok(m.gps, 'has gps');
  assert.ok(Math.abs(m.gps.lat - -(48 + 51 / 60 + 24 / 3600)) < 1e-9, `lat ${m.gps.lat}`);
  assert.ok(Math.abs(m.gps.lon - -(2 + 21 / 60 + 3 / 3600)) < 1e-9, `lon ${m.gps.lon}`);
});

test('EXIF in WebP is read too; no offset means wall-clock time as UTC', async () => {
  const webp = await solid(30, 20, RED)
    .webp()
    .withExif({ IFD0: { Make: 'NIKON CORPORATION', Model: 'NIKON D750' }, IFD2: { DateTimeOriginal: '2019:12:31 23:59:58' } })
    .toBuffer();
  const m = await readImageMeta(tmp.write('p.webp', webp));
  assert.equal(m.format, 'webp');
  assert.deepEqual([m.width, m.height], [30, 20]);
  assert.equal(m.takenAt, Date.UTC(2019, 11, 31, 23, 59, 58));
  assert.equal(m.camera, 'NIKON D750');
  assert.equal(m.gps, undefined);
});

test('an image without EXIF has only the basics', async () => {
  const m = await readImageMeta(tmp.write('plain.png', await solid(7, 9, RED).png().toBuffer()));
  assert.deepEqual(Object.keys(m).sort(), ['bytes', 'format', 'height', 'width']);
  assert.deepEqual([m.width, m.height, m.format], [7, 9, 'png']);
});

test('header only: a 20000x20000 PNG header is described, not decoded', async () => {
  const t0 = performance.now();
  const m = await readImageMeta(tmp.write('huge.png', pngHeaderOnly(20000, 20000)));
  assert.deepEqual([m.width, m.height], [20000, 20000]);
  assert.ok(performance.now() - t0 < 2000);
});

test('missing and non-image files are InputErrors naming the file', async () => {
  await assert.rejects(readImageMeta(tmp.dir + '/none.jpg'), (e: unknown) => e instanceof InputError && /file not found: .*none\.jpg/.test(e.message));
  await assert.rejects(readImageMeta(tmp.write('x.txt', 'text')), (e: unknown) => e instanceof InputError && /x\.txt: not an image/.test(e.message));
});

test('parseExifDate', () => {
  assert.equal(parseExifDate('2020:02:29 12:00:00'), Date.UTC(2020, 1, 29, 12));
  assert.equal(parseExifDate('2020:02:29 12:00:00.25', '-05:00'), Date.UTC(2020, 1, 29, 17, 0, 0, 250));
  assert.equal(parseExifDate('0000:00:00 00:00:00'), undefined);
  assert.equal(parseExifDate('    :  :     :  :  '), undefined);
  assert.equal(parseExifDate(undefined), undefined);
});

test('the fixture really carries the EXIF we wrote', async () => {
  const m = await sharp(await solid(4, 4, RED).jpeg().withExif(exif).toBuffer()).metadata();
  assert.ok(m.exif && m.exif.includes(Buffer.from('Canon EOS 5D')));
});
