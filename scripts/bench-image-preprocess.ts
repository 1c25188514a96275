/**
 * Throughput of src/image preprocessing on Flickr8k JPEGs.
 *   npx tsc -p tsconfig.json && nice -n 10 node dist/scripts/bench-image-preprocess.js [N=200]
 * The Flickr8k copies here are 224x224 already, so 224 is a same-size resize and 299 an upscale;
 * a second set of 12 MP JPEGs (Flickr images upscaled, made once under .cache/) shows the
 * shrink-on-load path a phone photo takes.
 * With --scan-all: decodes every Flickr8k image once (strict failOn) and lists any it refuses.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, preprocessBatch, preprocessImage, type PreprocessSpec } from '../src/image/index.js';
import { cacheDir, datasetDir } from '../src/util/paths.js';

const flickr = datasetDir('flickr8k');
if (!flickr) {
  console.error('needs ../shared/data/flickr8k');
  process.exit(1);
}
const dir = join(flickr, 'images');
const all = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(dir, f));

if (process.argv.includes('--scan-all')) {
  const t0 = performance.now();
  const bad: string[] = [];
  const tiny: PreprocessSpec = { width: 8, height: 8, resize: 'squash', layout: 'nhwc' };
  for (let i = 0; i < all.length; i += 64) {
    const chunk = all.slice(i, i + 64);
    await preprocessBatch(chunk, tiny).catch(async () => {
      for (const f of chunk) await preprocessImage(f, tiny).catch((e: Error) => bad.push(e.message));
    });
  }
  console.log(JSON.stringify({ scanned: all.length, refused: bad.length, seconds: (performance.now() - t0) / 1000, bad }, null, 1));
  process.exit(0);
}

const n = Number(process.argv[2] ?? 200);
let files = all.slice(0, n);
const clip = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] } as const;

async function time(name: string, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm the page cache and sharp
  // CPU time too: the machine is shared, so wall-clock rates move with other people's load
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await fn();
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(
    `${name.padEnd(50)} ${(files.length / s).toFixed(1).padStart(6)} images/s wall, ` +
      `${(files.length / cpu).toFixed(1).padStart(6)} images per CPU-second  (${s.toFixed(2)} s wall for ${files.length})`,
  );
}

for (const size of [224, 299]) {
  for (const kernel of ['cubic', 'lanczos3'] as const) {
    const spec: PreprocessSpec = { width: size, height: size, resize: 'center-crop', layout: 'nchw', kernel, mean: [...clip.mean], std: [...clip.std] };
    await time(`${size} center-crop ${kernel}, preprocessBatch`, () => preprocessBatch(files, spec));
  }
  const spec: PreprocessSpec = { width: size, height: size, resize: 'squash', layout: 'nhwc' };
  await time(`${size} squash cubic, preprocessBatch`, () => preprocessBatch(files, spec));
  await time(`${size} squash cubic, one at a time`, async () => {
    for (const f of files) await preprocessImage(f, spec);
  });
  await time(`${size} squash cubic, decode full size then resize`, async () => {
    for (const f of files) await preprocessImage(await decodeImage(f), spec);
  });
}

// 12 MP photos: JPEG q90, 4000x3000, with grain so the entropy decoder has real work
const bigDir = cacheDir('bench-image', 'jpeg-4000x3000');
mkdirSync(bigDir, { recursive: true });
files = [];
for (const src of all.slice(0, 20)) {
  const out = join(bigDir, src.split('/').pop()!);
  if (!existsSync(out)) {
    const noise = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 0, sigma: 12 } } }).raw().toBuffer();
    const up = await sharp(src).resize(4000, 3000, { fit: 'fill' }).raw().toBuffer();
    for (let i = 0; i < up.length; i++) up[i] = Math.max(0, Math.min(255, up[i] + noise[i] - 12));
    await sharp(up, { raw: { width: 4000, height: 3000, channels: 3 } }).jpeg({ quality: 90 }).toFile(out);
  }
  files.push(out);
}
console.log(`-- ${files.length} JPEGs of 4000x3000 --`);
for (const size of [224, 299]) {
  const spec: PreprocessSpec = { width: size, height: size, resize: 'center-crop', layout: 'nchw', mean: [...clip.mean], std: [...clip.std] };
  await time(`${size} center-crop cubic, preprocessBatch`, () => preprocessBatch(files, spec));
  await time(`${size} center-crop cubic, decode full size then resize`, async () => {
    for (const f of files) await preprocessImage(await decodeImage(f), spec);
  });
}
