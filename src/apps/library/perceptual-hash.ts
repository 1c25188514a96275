/**
 * A 64-bit perceptual hash (the DCT "pHash": signs of the 8x8 lowest frequencies of a 32x32 grey
 * image against their median). Resizing and recompressing a photo move it by a few bits; different
 * photos differ in ~20 of 64. `vlm dupes` uses it next to the embedding, because a semantic embedding
 * can drift a lot for a small or heavily compressed copy (measured: scripts/calibrate-dupes.ts).
 */
import { decodeInside, resizeArea } from '../../image/thumbnail-pixels.js';
import type { RgbImage } from '../../image/types.js';
import { THUMBNAIL_SIZE } from './thumbnail-spec.js';

/**
 * Stored next to the hash (metadata.phashVersion; absent = 1). Version 1 re-decoded the WebP thumbnail
 * and let libvips shrink it to 32x32; version 2 averages the raw thumbnail pixels in memory. The two
 * differ by a few bits for the same photo, so hashes of different versions are never compared.
 */
export const PHASH_VERSION = 2;

const N = 32;
const K = 8;
/** COS[k * N + n] = cos((2n + 1) k pi / 2N) */
const COS = new Float64Array(K * N);
for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) COS[k * N + n] = Math.cos(((2 * n + 1) * k * Math.PI) / (2 * N));

/** 16 hex digits of any encoded image sharp reads: the hash of its library thumbnail's pixels. */
export async function perceptualHash(image: Buffer): Promise<string> {
  return hashRgb((await decodeInside(image, THUMBNAIL_SIZE)).pixels);
}

/** sRGB 0..255 -> linear light 0..1 */
const LINEAR = Float64Array.from({ length: 256 }, (_, i) => (i <= 10 ? i / 255 / 12.92 : ((i / 255 + 0.055) / 1.055) ** 2.4));
/** linear light in 4096 steps -> sRGB 0..255 (steps fine enough to land on the nearest level) */
const ENCODE = Uint8Array.from({ length: 4096 }, (_, i) => {
  const y = i / 4095;
  return Math.round(255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055));
});

/**
 * pHash (version 2) of decoded pixels, e.g. a thumbnail already in memory: luminance (Rec. 709, in
 * linear light, then sRGB-encoded as libvips' greyscale does; gamma-space luma moved 2-3x more bits
 * under recompression), area-averaged to 32x32 (aspect squashed, so every size of a photo lands on the same grid).
 */
export function hashRgb(img: RgbImage): string {
  const n = img.width * img.height;
  const grey = new Uint8Array(n);
  const d = img.data;
  for (let i = 0, k = 0; i < n; i++, k += 3) {
    const y = 0.2126 * LINEAR[d[k]] + 0.7152 * LINEAR[d[k + 1]] + 0.0722 * LINEAR[d[k + 2]];
    grey[i] = ENCODE[Math.round(y * 4095)];
  }
  return hashPixels(resizeArea({ width: img.width, height: img.height, data: grey }, N, N, 1).data);
}

/** pHash of N x N grey pixels. */
export function hashPixels(px: Uint8Array): string {
  // separable 2-D DCT, lowest K x K frequencies only
  const rows = new Float64Array(N * K); // rows[y * K + v] = sum_x px[y, x] cos(v, x)
  for (let y = 0; y < N; y++) {
    for (let v = 0; v < K; v++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += px[y * N + x] * COS[v * N + x];
      rows[y * K + v] = s;
    }
  }
  const coef = new Float64Array(K * K);
  for (let u = 0; u < K; u++) {
    for (let v = 0; v < K; v++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += rows[y * K + v] * COS[u * N + y];
      coef[u * K + v] = s;
    }
  }
  // median of the AC terms (the DC term is overall brightness)
  const ac = Array.from(coef.subarray(1)).sort((a, b) => a - b);
  const median = (ac[31] + ac[32]) / 2;
  let hex = '';
  for (let i = 0; i < 64; i += 4) {
    let nibble = 0;
    for (let b = 0; b < 4; b++) nibble = (nibble << 1) | (coef[i + b] > median ? 1 : 0);
    hex += nibble.toString(16);
  }
  return hex;
}

/** The hash as two 32-bit halves, for fast comparisons. */
export function hashWords(hex: string): [number, number] {
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function hammingWords(a: [number, number], b: [number, number]): number {
  return popcount((a[0] ^ b[0]) >>> 0) + popcount((a[1] ^ b[1]) >>> 0);
}

export function isPerceptualHash(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{16}$/.test(v);
}

/**
 * Every pair of hashes within `maxDistance` bits, without comparing all pairs: split the 64 bits into
 * maxDistance + 1 chunks; two hashes that close agree exactly on at least one chunk (pigeonhole), so
 * only hashes sharing a chunk value are compared (multi-index hashing, Norouzi et al. 2012).
 */
export function closeHashPairs(hashes: ([number, number] | undefined)[], maxDistance: number): [number, number][] {
  if (maxDistance < 0) return [];
  const chunks = Math.min(64, maxDistance + 1);
  const bounds = Array.from({ length: chunks + 1 }, (_, c) => Math.round((c * 64) / chunks));
  const bit = (h: [number, number], i: number) => (i < 32 ? (h[0] >>> (31 - i)) & 1 : (h[1] >>> (63 - i)) & 1);
  const seen = new Set<string>();
  const pairs: [number, number][] = [];
  for (let c = 0; c < chunks; c++) {
    const buckets = new Map<number, number[]>();
    hashes.forEach((h, i) => {
      if (!h) return;
      let key = 0;
      for (let b = bounds[c]; b < bounds[c + 1]; b++) key = key * 2 + bit(h, b);
      const list = buckets.get(key);
      if (list) list.push(i);
      else buckets.set(key, [i]);
    });
    for (const list of buckets.values()) {
      for (let x = 0; x < list.length; x++) {
        for (let y = x + 1; y < list.length; y++) {
          const i = list[x], j = list[y];
          if (hammingWords(hashes[i]!, hashes[j]!) > maxDistance) continue;
          const id = `${i},${j}`;
          if (seen.has(id)) continue;
          seen.add(id);
          pairs.push([i, j]);
        }
      }
    }
  }
  return pairs;
}
