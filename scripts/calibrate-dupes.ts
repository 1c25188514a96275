/**
 * Calibrates the near-duplicate threshold of `vlm dupes` for a model: embeds real photos (Flickr8k
 * dev) and synthetic copies of them (resized, recompressed, lightly cropped, and combinations), and
 * compares copy-to-original similarities with each photo's most similar *other* photo.
 *
 *   node dist/scripts/calibrate-dupes.js [--model DIR] [--images N]
 *
 * Prints percentiles of both and the suggested threshold: the midpoint between the 1st percentile of
 * copies and the 99.5th percentile of distinct nearest neighbours when they separate, else the latter
 * (a wrong "delete this duplicate" costs more than a missed one). Also the perceptual-hash distances
 * (computed the way the indexer does, from the thumbnail) and how many copies either signal finds.
 */
import sharp from 'sharp';
import { dot, type Encoder } from '../src/encoders/encoder.js';
import { loadEncoder } from '../src/encoders/load.js';
import { loadFlickr8k } from '../src/train/datasets/flickr8k.js';
import { libraryThumbnail } from '../src/apps/library/image-facts.js';
import { DEFAULT_HASH_DISTANCE } from '../src/apps/library/near-dup-threshold.js';
import { hammingWords, hashWords, perceptualHash } from '../src/apps/library/perceptual-hash.js';

type Variant = { name: string; make: (img: Buffer, w: number, h: number) => Promise<Buffer> };

const VARIANTS: Variant[] = [
  { name: 'resize-50%', make: (b, w) => sharp(b).resize(Math.round(w / 2)).jpeg({ quality: 90 }).toBuffer() },
  { name: 'resize-75%', make: (b, w) => sharp(b).resize(Math.round(w * 0.75)).jpeg({ quality: 90 }).toBuffer() },
  { name: 'jpeg-q40', make: (b) => sharp(b).jpeg({ quality: 40 }).toBuffer() },
  { name: 'jpeg-q20', make: (b) => sharp(b).jpeg({ quality: 20 }).toBuffer() },
  { name: 'webp-q50', make: (b) => sharp(b).webp({ quality: 50 }).toBuffer() },
  { name: 'crop-5%', make: (b, w, h) => crop(b, w, h, 0.05) },
  { name: 'crop-10%', make: (b, w, h) => crop(b, w, h, 0.1) },
  { name: 'crop-10%+resize-50%+q50', make: async (b, w, h) => sharp(await crop(b, w, h, 0.1)).resize(Math.round(w * 0.45)).jpeg({ quality: 50 }).toBuffer() },
];

/** Removes `frac` of the width and height, split between the sides unevenly (as people crop). */
function crop(b: Buffer, w: number, h: number, frac: number): Promise<Buffer> {
  const cw = Math.round(w * (1 - frac)), ch = Math.round(h * (1 - frac));
  return sharp(b).extract({ left: Math.round((w - cw) * 0.3), top: Math.round((h - ch) * 0.7), width: cw, height: ch }).jpeg({ quality: 90 }).toBuffer();
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function embedAll(encoder: Encoder, inputs: Buffer[] | string[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < inputs.length; i += 32) out.push(...(await encoder.embedImages(inputs.slice(i, i + 32))));
  return out;
}

async function main(): Promise<void> {
  const n = Number(arg('--images') ?? 500);
  const encoder = await loadEncoder(arg('--model'));
  const paths = loadFlickr8k('dev', 'en').imagePaths.slice(0, n);
  const originals = await embedAll(encoder, paths);
  const hashOf = async (b: Buffer) => hashWords(await perceptualHash(await libraryThumbnail(b)));
  const origHashes = await Promise.all(paths.map(async (p) => hashOf(await sharp(p).toBuffer())));
  const hashNearest = origHashes.map((a, i) => Math.min(...origHashes.map((b, j) => (i === j ? 64 : hammingWords(a, b))))).sort((x, y) => x - y);
  const perVariantHash: Record<string, number[]> = {};
  const pairs: { cos: number; bits: number }[] = [];

  // distinct photos: each one's most similar other photo
  const nearestOther = originals.map((a, i) => Math.max(...originals.map((b, j) => (i === j ? -1 : dot(a, b))))).sort((x, y) => x - y);
  const perVariant: Record<string, number[]> = {};
  const copies: number[] = [];
  for (const v of VARIANTS) {
    const made = await Promise.all(paths.map(async (p) => {
      const m = await sharp(p).metadata();
      return v.make(await sharp(p).toBuffer(), m.width!, m.height!);
    }));
    const vecs = await embedAll(encoder, made);
    const sims = vecs.map((x, i) => dot(x, originals[i]));
    const bits = await Promise.all(made.map(async (b, i) => hammingWords(await hashOf(b), origHashes[i])));
    sims.forEach((cos, i) => pairs.push({ cos, bits: bits[i] }));
    perVariant[v.name] = [...sims].sort((a, b) => a - b);
    perVariantHash[v.name] = bits.sort((a, b) => a - b);
    copies.push(...perVariant[v.name]);
  }
  copies.sort((a, b) => a - b);
  const lo = pct(copies, 1), hi = pct(nearestOther, 99.5);
  const threshold = lo > hi ? (lo + hi) / 2 : hi;
  const recall = copies.filter((s) => s >= threshold).length / copies.length;
  const falsePairs = nearestOther.filter((s) => s >= threshold).length / nearestOther.length;
  const r4 = (x: number) => +x.toFixed(4);
  console.log(JSON.stringify({
    model: encoder.id,
    images: n,
    copies: { p1: r4(lo), p5: r4(pct(copies, 5)), median: r4(pct(copies, 50)) },
    per_variant_p1: Object.fromEntries(Object.entries(perVariant).map(([k, s]) => [k, r4(pct(s, 1))])),
    distinct_nearest: { median: r4(pct(nearestOther, 50)), p99: r4(pct(nearestOther, 99)), p99_5: r4(hi), max: r4(nearestOther[nearestOther.length - 1]) },
    suggested_threshold: r4(threshold),
    copies_found_at_threshold: r4(recall),
    distinct_photos_with_a_false_match: r4(falsePairs),
    hash_bits_per_variant_median_p99: Object.fromEntries(Object.entries(perVariantHash).map(([k, s]) => [k, [pct(s, 50), pct(s, 99)]])),
    hash_bits_distinct_nearest: { min: hashNearest[0], p1: pct(hashNearest, 1), median: pct(hashNearest, 50) },
    hash_distance: DEFAULT_HASH_DISTANCE,
    copies_found_by_hash: r4(pairs.filter((p) => p.bits <= DEFAULT_HASH_DISTANCE).length / pairs.length),
    copies_found_by_either: r4(pairs.filter((p) => p.bits <= DEFAULT_HASH_DISTANCE || p.cos >= threshold).length / pairs.length),
    copies_found_by_either_per_variant: Object.fromEntries(VARIANTS.map((v, k) => {
      const mine = pairs.slice(k * n, (k + 1) * n);
      return [v.name, r4(mine.filter((p) => p.bits <= DEFAULT_HASH_DISTANCE || p.cos >= threshold).length / n)];
    })),
    distinct_photos_with_a_false_hash_match: r4(hashNearest.filter((b) => b <= DEFAULT_HASH_DISTANCE).length / n),
  }, null, 2));
  await encoder.dispose();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
