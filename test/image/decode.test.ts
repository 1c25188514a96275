import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage } from '../../src/image/decode.js';
import { InputError } from '../../src/util/errors.js';
import { BLUE, GREEN, RED, fromRaw, near, pixel, pngHeaderOnly, rawRgb, solid, tempDir, type Rgb } from './fixtures.js';

const tmp = tempDir(after);

/** 60x40 landscape, blue with a red 20x20 block in the stored top-left corner. */
const marked = (x: number, y: number): Rgb => (x < 20 && y < 20 ? RED : BLUE);

test('EXIF orientation is applied: dims swap and the marked corner moves', async () => {
  // stored top-left corner -> displayed corner, per EXIF orientation (TIFF 6.0 / CIPA DC-008)
  const cases: { o: number; w: number; h: number; corner: [number, number] }[] = [
    { o: 1, w: 60, h: 40, corner: [0, 0] },
    { o: 3, w: 60, h: 40, corner: [59, 39] }, // 180°
    { o: 6, w: 40, h: 60, corner: [39, 0] }, // rotate 90° clockwise to display: top-left -> top-right
    { o: 8, w: 40, h: 60, corner: [0, 59] }, // rotate 90° anticlockwise: top-left -> bottom-left
  ];
  for (const { o, w, h, corner } of cases) {
    const jpeg = await fromRaw(60, 40, marked).jpeg({ quality: 95 }).withMetadata({ orientation: o }).toBuffer();
    assert.equal((await sharp(jpeg).metadata()).orientation, o, 'fixture carries the tag');
    const img = await decodeImage(jpeg);
    assert.deepEqual([img.width, img.height], [w, h], `orientation ${o} dims`);
    const [cx, cy] = corner;
    const inset = (v: number, max: number) => (v === 0 ? 5 : max - 6);
    near(pixel(img, inset(cx, w), inset(cy, h)), RED, 40, `orientation ${o}: red corner`);
    // the diagonally opposite corner stays blue
    near(pixel(img, inset(cx === 0 ? w - 1 : 0, w), inset(cy === 0 ? h - 1 : 0, h)), BLUE, 40, `orientation ${o}: far corner`);
  }
});

test('grayscale PNG decodes to RGB with equal channels', async () => {
  const grey = Buffer.from(Array.from({ length: 16 * 4 }, (_, i) => (i % 16) * 16));
  const png = await sharp(grey, { raw: { width: 16, height: 4, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(png).metadata()).channels, 1, 'fixture is single-channel');
  const img = await decodeImage(png);
  assert.equal(img.data.length, 16 * 4 * 3);
  for (let x = 0; x < 16; x++) assert.deepEqual(pixel(img, x, 2), [x * 16, x * 16, x * 16]);
});

test('alpha is flattened onto white', async () => {
  const rgba = Buffer.alloc(4 * 2 * 4);
  const px = [
    [255, 0, 0, 0], // fully transparent red -> white
    [0, 128, 0, 255], // opaque green stays
    [0, 0, 0, 128], // half-transparent black -> mid grey
    [0, 0, 255, 255],
  ];
  for (let i = 0; i < 8; i++) rgba.set(px[i % 4], i * 4);
  const png = await sharp(rgba, { raw: { width: 4, height: 2, channels: 4 } }).png().toBuffer();
  const img = await decodeImage(png);
  assert.deepEqual(pixel(img, 0, 0), [255, 255, 255]);
  assert.deepEqual(pixel(img, 1, 0), [0, 128, 0]);
  near(pixel(img, 2, 0), [127, 127, 127], 2, 'half alpha');
  assert.deepEqual(pixel(img, 3, 1), [0, 0, 255]);
});

test('16-bit PNG is reduced to 8-bit', async () => {
  const png = await solid(5, 3, [255, 128, 0]).toColourspace('rgb16').png().toBuffer();
  const meta = await sharp(png).metadata();
  assert.equal(meta.depth, 'ushort', 'fixture is 16-bit');
  const img = await decodeImage(png);
  assert.ok(img.data instanceof Uint8Array);
  assert.equal(img.data.length, 5 * 3 * 3);
  near(pixel(img, 4, 2), [255, 128, 0], 1, '16-bit colour');
});

test('animated GIF: the first frame only', async () => {
  // two 8x6 frames stacked vertically: red then blue
  const frames = rawRgb(8, 12, (_x, y) => (y < 6 ? RED : BLUE));
  const gif = await sharp(frames, { raw: { width: 8, height: 12, channels: 3, pageHeight: 6 } }).gif().toBuffer();
  assert.equal((await sharp(gif).metadata()).pages, 2, 'fixture has two frames');
  const img = await decodeImage(gif);
  assert.deepEqual([img.width, img.height], [8, 6]);
  near(pixel(img, 3, 3), RED, 8, 'first frame');
});

test('TIFF and lossless WebP decode from files', async () => {
  const tif = tmp.write('a.tiff', await solid(7, 5, [10, 200, 30]).tiff().toBuffer());
  const webp = tmp.write('a.webp', await solid(7, 5, [10, 200, 30]).webp({ lossless: true }).toBuffer());
  for (const p of [tif, webp]) {
    const img = await decodeImage(p);
    assert.deepEqual([img.width, img.height], [7, 5], p);
    assert.deepEqual(pixel(img, 6, 4), [10, 200, 30], p);
  }
});

/** Asserts an InputError whose message matches every pattern. */
async function rejects(p: Promise<unknown>, ...patterns: RegExp[]): Promise<string> {
  let err: unknown;
  await p.then(() => assert.fail('expected an InputError'), (e) => (err = e));
  assert.ok(err instanceof InputError, `expected InputError, got ${err}`);
  for (const re of patterns) assert.match(err.message, re);
  return err.message;
}

test('truncated JPEG is refused, naming the file', async () => {
  const jpeg = await fromRaw(200, 150, (x, y) => [x, y, (x * y) & 255]).jpeg().toBuffer();
  const p = tmp.write('cut.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
  await rejects(decodeImage(p), /cut\.jpg/, /truncated/);
});

test('JPEG with corrupted entropy data is refused, not decoded to garbage', async () => {
  const jpeg = await fromRaw(200, 150, (x, y) => [x, y, (x * y) & 255]).jpeg().toBuffer();
  const bad = Buffer.from(jpeg);
  for (let i = Math.floor(bad.length / 3); i < bad.length - 2; i += 7) bad[i] ^= 0x55;
  await rejects(decodeImage(bad), /corrupt|truncated/);
});

test('random bytes, a text file, and an SVG are refused with the supported formats', async () => {
  const noise = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) & 255));
  await rejects(decodeImage(noise), /not an image/, /JPEG, PNG, WebP, GIF, TIFF/);
  const txt = tmp.write('notes.txt', 'hello, this is not a picture\n');
  await rejects(decodeImage(txt), /notes\.txt/, /not an image/, /JPEG, PNG/);
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
  await rejects(decodeImage(svg), /unsupported image format 'svg'/);
});

test('missing file, zero-byte file and directory get their own messages', async () => {
  await rejects(decodeImage(tmp.dir + '/nope.jpg'), /file not found: .*nope\.jpg/);
  await rejects(decodeImage(tmp.write('empty.png', '')), /empty\.png/, /empty file \(0 bytes\)/);
  await rejects(decodeImage(new Uint8Array(0)), /empty buffer/);
  await rejects(decodeImage(tmp.dir), /is a directory/);
});

test('a PNG header claiming 20000x20000 is refused from the header, fast', async () => {
  const png = pngHeaderOnly(20000, 20000);
  const path = tmp.write('huge.png', png);
  const t0 = performance.now();
  const msg = await rejects(decodeImage(path), /huge\.png/);
  const ms = performance.now() - t0;
  assert.ok(msg.endsWith('image is 20000x20000 = 400.0 MP, over the 50 MP limit'), msg);
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms: must not decode`); // generous: the machine is shared
  // exactly 100 MP, and a custom cap
  await rejects(decodeImage(pngHeaderOnly(10000, 10000)), /^image is 10000x10000 = 100\.0 MP, over the 50 MP limit$/);
  const small = await solid(100, 100, RED).png().toBuffer();
  await rejects(decodeImage(small, { maxPixels: 5000 }), /100x100 = 0\.01 MP, over the 0\.005 MP limit/);
  await rejects(decodeImage(small, { maxBytes: 10 }), /^data is \d+ bytes, over the 10 bytes limit$/);
  await rejects(decodeImage(tmp.write('small.png', small), { maxBytes: 10 }), /small\.png: file is \d+ bytes, over the 10 bytes limit$/);
  assert.equal((await decodeImage(small)).width, 100, 'within the default limits');
});

test('RgbImage input is validated and passed through', async () => {
  const data = new Uint8Array(rawRgb(3, 2, () => GREEN));
  const img = await decodeImage({ width: 3, height: 2, data });
  assert.equal(img.data, data);
  await rejects(decodeImage({ width: 3, height: 3, data }), /expected 3x3x3 = 27/);
});
