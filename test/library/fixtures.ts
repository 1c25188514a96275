/** Test fixtures for the library: a small real encoder (random-weight CLIP-layout ONNX) and generated photos. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { writeFixture } from '../../scripts/fixtures/checkpoints.js';
import { loadOnnxEncoder, type OnnxEncoder } from '../../src/encoders/onnx/index.js';
import { createRng } from '../../src/util/rng.js';

/** A temp folder removed when the test file ends. */
export function tempDir(after: (fn: () => void | Promise<void>) => void, prefix = 'vlm-library-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The tiny CLIP fixture checkpoint written into dir/clip; returns its folder. */
export function writeClipFixture(dir: string): string {
  return writeFixture('clip', join(dir, 'clip')).dir;
}

export async function fixtureEncoder(dir: string): Promise<OnnxEncoder> {
  return loadOnnxEncoder(writeClipFixture(dir), { threads: 1 });
}

/**
 * A distinct "photo" per seed, w x h raw RGB: a 4x4 grid of random colours blended smoothly. Smooth,
 * so resized, recompressed and lightly cropped copies stay close to the original even for the
 * random-weight fixture encoder (>= 0.99 cosine), while different seeds stay apart (<= 0.985 for 40 seeds).
 */
export function photoPixels(seed: number, w = 160, h = 120): Buffer {
  const g = 4;
  const rng = createRng(seed * 7919 + 13);
  const grid = Array.from({ length: g * g }, () => [rng() * 255, rng() * 255, rng() * 255]);
  const buf = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gx = (x / (w - 1)) * (g - 1), gy = (y / (h - 1)) * (g - 1);
      const x0 = Math.min(g - 2, Math.floor(gx)), y0 = Math.min(g - 2, Math.floor(gy));
      const tx = gx - x0, ty = gy - y0;
      const [a, b, c, d] = [grid[y0 * g + x0], grid[y0 * g + x0 + 1], grid[(y0 + 1) * g + x0], grid[(y0 + 1) * g + x0 + 1]];
      for (let k = 0; k < 3; k++) buf[(y * w + x) * 3 + k] = a[k] * (1 - tx) * (1 - ty) + b[k] * tx * (1 - ty) + c[k] * (1 - tx) * ty + d[k] * tx * ty;
    }
  }
  return buf;
}

/** photoPixels as a JPEG; drawn small and enlarged by sharp (the blend is smooth anyway), so big photos are quick to make. */
export async function photoJpeg(seed: number, opts: { w?: number; h?: number; quality?: number } = {}): Promise<Buffer> {
  const w = opts.w ?? 160, h = opts.h ?? 120;
  const sw = Math.min(w, 64), sh = Math.max(2, Math.round((h * sw) / w));
  return sharp(photoPixels(seed, sw, sh), { raw: { width: sw, height: sh, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'cubic' })
    .jpeg({ quality: opts.quality ?? 90 })
    .toBuffer();
}

export function writeFile(path: string, data: Buffer | string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
}
