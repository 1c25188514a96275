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
 * A distinct "photo" per seed: smooth colour gradients plus a few shapes, size w x h, as raw RGB.
 * Seeds far apart give images a random-weight encoder still tells apart.
 */
export function photoPixels(seed: number, w = 160, h = 120): Buffer {
  const rng = createRng(seed * 7919 + 13);
  const c0 = [rng() * 255, rng() * 255, rng() * 255];
  const c1 = [rng() * 255, rng() * 255, rng() * 255];
  const fx = 1 + Math.floor(rng() * 6), fy = 1 + Math.floor(rng() * 6), phase = rng() * 6.28;
  const blobs = Array.from({ length: 4 }, () => ({ x: rng() * w, y: rng() * h, r: 8 + rng() * 30, c: [rng() * 255, rng() * 255, rng() * 255] }));
  const buf = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const t = 0.5 + 0.5 * Math.sin((fx * x) / w * 6.28 + (fy * y) / h * 6.28 + phase);
      let c = [0, 1, 2].map((k) => c0[k] * t + c1[k] * (1 - t));
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r ** 2) c = b.c;
      const o = (y * w + x) * 3;
      buf[o] = c[0];
      buf[o + 1] = c[1];
      buf[o + 2] = c[2];
    }
  }
  return buf;
}

export async function photoJpeg(seed: number, opts: { w?: number; h?: number; quality?: number } = {}): Promise<Buffer> {
  const w = opts.w ?? 160, h = opts.h ?? 120;
  return sharp(photoPixels(seed, w, h), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: opts.quality ?? 90 }).toBuffer();
}

export function writeFile(path: string, data: Buffer | string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
}
