import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { parseTsv } from '../../src/train/datasets/tsv.js';
import { parseIdx } from '../../src/train/datasets/idx.js';
import { grayToRgb } from '../../src/train/datasets/fashion-mnist.js';

test('TSV: split on tabs only, quotes in captions are kept verbatim', () => {
  const text = 'image\tn\tcaption\n' +
    'a.jpg\t0\tA man says "hi" to a dog .\n' +
    'a.jpg\t1\t"Quoted, with a comma" and an unmatched " quote\r\n' +
    'b.jpg\t0\t一个穿"红色"衣服的女孩。\n';
  const rows = parseTsv(text);
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], { image: 'a.jpg', n: '0', caption: 'A man says "hi" to a dog .' });
  assert.equal(rows[1].caption, '"Quoted, with a comma" and an unmatched " quote');
  assert.equal(rows[2].caption, '一个穿"红色"衣服的女孩。');
  assert.throws(() => parseTsv('a\tb\nonly-one\n', 'x.tsv'), /x.tsv: line 2 has 1 columns, the header has 2/);
});

function idx(dims: number[], values: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

test('IDX: header, big-endian dims and values, plain or gzipped', () => {
  const values = Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 20);
  const raw = idx([2, 2, 3], values);
  for (const buf of [raw, gzipSync(raw)]) {
    const a = parseIdx(buf);
    assert.deepEqual(a.dims, [2, 2, 3]);
    assert.deepEqual([...a.data], values);
  }
  const big = parseIdx(idx([300], Array.from({ length: 300 }, (_, i) => i % 256)));
  assert.deepEqual(big.dims, [300]); // needs the second byte of the uint32
  assert.throws(() => parseIdx(Buffer.from([1, 2, 3, 4])), /bad magic/);
  assert.throws(() => parseIdx(idx([2, 3], [1, 2, 3])), /says 6 values \(2x3\) but the file holds 3/);
  const floats = idx([1], [0, 0, 0, 0]);
  floats[2] = 0x0d;
  assert.throws(() => parseIdx(floats), /type 0xd is not supported/);
});

test('grayscale to RGB, optionally inverted', () => {
  const img = grayToRgb(Uint8Array.from([0, 100, 255, 7]), 2, 2);
  assert.deepEqual([img.width, img.height, [...img.data]], [2, 2, [0, 0, 0, 100, 100, 100, 255, 255, 255, 7, 7, 7]]);
  assert.deepEqual([...grayToRgb(Uint8Array.from([0, 255]), 2, 1, { invert: true }).data], [255, 255, 255, 0, 0, 0]);
  assert.throws(() => grayToRgb(new Uint8Array(3), 2, 2), /3 pixels for 2x2/);
});
