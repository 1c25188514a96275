import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { closeHashPairs, hammingWords, hashWords, perceptualHash } from '../../src/apps/library/perceptual-hash.js';
import { createRng } from '../../src/util/rng.js';
import { photoJpeg } from './fixtures.js';

test('perceptual hash: a resized or recompressed copy is a few bits away, another picture far', async () => {
  const a = await photoJpeg(1, { w: 320, h: 240 });
  const h = hashWords(await perceptualHash(a));
  const small = hashWords(await perceptualHash(await sharp(a).resize(100).jpeg({ quality: 40 }).toBuffer()));
  const other = hashWords(await perceptualHash(await photoJpeg(2, { w: 320, h: 240 })));
  assert.ok(hammingWords(h, small) <= 4, `copy: ${hammingWords(h, small)} bits`);
  assert.ok(hammingWords(h, other) >= 16, `other picture: ${hammingWords(h, other)} bits`);
  assert.match(await perceptualHash(a), /^[0-9a-f]{16}$/);
});

test('close hash pairs (multi-index) equal the brute-force pairs', () => {
  const rng = createRng(7);
  const rand32 = () => Math.floor(rng() * 2 ** 32) >>> 0;
  const hashes: ([number, number] | undefined)[] = [];
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 0 || hashes.length === 0) hashes.push([rand32(), rand32()]);
    else {
      // a near copy of an earlier hash: flip up to 12 random bits
      const [x, y] = hashes[Math.floor(rng() * hashes.length)] ?? [0, 0];
      let h: [number, number] = [x, y];
      for (let f = Math.floor(rng() * 13); f > 0; f--) {
        const bit = Math.floor(rng() * 64);
        h = bit < 32 ? [(h[0] ^ (1 << bit)) >>> 0, h[1]] : [h[0], (h[1] ^ (1 << (bit - 32))) >>> 0];
      }
      hashes.push(h);
    }
  }
  hashes[5] = undefined; // images without a hash are left out
  for (const d of [0, 3, 8]) {
    const brute: string[] = [];
    for (let i = 0; i < hashes.length; i++) {
      for (let j = i + 1; j < hashes.length; j++) if (hashes[i] && hashes[j] && hammingWords(hashes[i]!, hashes[j]!) <= d) brute.push(`${i},${j}`);
    }
    const fast = closeHashPairs(hashes, d).map(([i, j]) => `${i},${j}`);
    assert.deepEqual(fast.sort(), brute.sort(), `distance ${d}`);
    if (d === 8) assert.ok(brute.length > 20, 'the test has pairs to find');
  }
  assert.deepEqual(closeHashPairs(hashes, -1), []);
});
