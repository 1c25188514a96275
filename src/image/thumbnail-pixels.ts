/**
 * One decode for two consumers: the model's input pixels and a thumbnail. The library indexer needs
 * both per image; decoding the file twice cost it ~5 ms of CPU per photo. The thumbnail is then
 * made in JS from pixels already in memory (area averaging, ~0.1 ms) instead of another libvips run.
 */
import type { Metadata } from 'sharp';
import { resolveLimits, type ImageLimits } from './limits.js';
import type { PreprocessSpec } from './preprocess.js';
import { openImage, readRaw } from './source.js';
import type { RgbImage } from './types.js';

export interface DecodedOnce {
  pixels: RgbImage;
  /** the file's header (sharp metadata: size, format, orientation, EXIF block) */
  header: Metadata;
  /** displayed size of the original (EXIF orientation applied) */
  width: number;
  height: number;
}

const FIT = { squash: 'fill', 'center-crop': 'cover', pad: 'contain' } as const;

/**
 * Encoded bytes or a path -> RGB at spec.width x spec.height, by the very libvips pipeline
 * preprocessImage runs (open, orient, flatten, resize with the spec's fit and kernel), so the pixels
 * are the ones the encoder would compute from the file itself (test/image/thumbnail-pixels.test.ts
 * holds the two together).
 */
export async function decodeForModel(input: Buffer | string, spec: PreprocessSpec, limits?: Partial<ImageLimits>, label?: string): Promise<DecodedOnce> {
  const img = await openImage(input, resolveLimits(limits), label);
  const [r, g, b] = spec.padColor ?? [0, 0, 0];
  img.pipeline.resize(spec.width, spec.height, {
    fit: FIT[spec.resize],
    position: 'centre',
    kernel: spec.kernel ?? 'cubic',
    background: { r, g, b, alpha: 1 },
  });
  if (spec.flip) img.pipeline.flop();
  return { pixels: await readRaw(img), header: img.meta!, ...displayedSize(img.meta!) };
}

/** Encoded bytes or a path -> RGB whose longer side is at most maxSide (never enlarged), upright. */
export async function decodeInside(input: Buffer | string, maxSide: number, limits?: Partial<ImageLimits>, label?: string): Promise<DecodedOnce> {
  const img = await openImage(input, resolveLimits(limits), label);
  img.pipeline.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true });
  return { pixels: await readRaw(img), header: img.meta!, ...displayedSize(img.meta!) };
}

function displayedSize(m: Metadata): { width: number; height: number } {
  return { width: m.autoOrient?.width ?? m.width ?? 0, height: m.autoOrient?.height ?? m.height ?? 0 };
}

/** Size of a thumbnail of a width x height image: longer side maxSide, never enlarged, aspect kept. */
export function thumbnailSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/**
 * Area-average resampling (each output pixel is the mean of the input area it covers, fractional edges
 * weighted): the right filter for shrinking, and it also enlarges (then it is nearest-neighbour-like).
 * Separable: rows first, then columns.
 */
export function resizeArea(img: RgbImage, width: number, height: number, channels = 3): RgbImage {
  const { width: sw, height: sh, data } = img;
  if (sw === width && sh === height) return img;
  const xs = coverage(sw, width);
  const ys = coverage(sh, height);
  const C = channels;
  const xTaps = xs.taps, xFirst = xs.first, xW = xs.weights;
  const yTaps = ys.taps, yFirst = ys.first, yW = ys.weights;
  // rows first (sh x width), then columns (height x width); flat tap tables and locals keep the loops tight
  const tmp = new Float32Array(width * sh * C);
  for (let y = 0; y < sh; y++) {
    const srcRow = y * sw * C;
    let dst = y * width * C;
    for (let x = 0; x < width; x++) {
      const src = srcRow + xFirst[x] * C, base = x * xTaps;
      if (C === 3) {
        // the common case unrolled: one pass over the taps for all three channels
        let r = 0, g = 0, b = 0;
        for (let k = 0, p = src; k < xTaps; k++, p += 3) {
          const w = xW[base + k];
          r += w * data[p];
          g += w * data[p + 1];
          b += w * data[p + 2];
        }
        tmp[dst++] = r;
        tmp[dst++] = g;
        tmp[dst++] = b;
        continue;
      }
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = 0; k < xTaps; k++) s += xW[base + k] * data[src + k * C + c];
        tmp[dst++] = s;
      }
    }
  }
  const row = width * C;
  const out = new Uint8Array(height * row);
  const acc = new Float32Array(row);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let k = 0; k < yTaps; k++) {
      const w = yW[y * yTaps + k];
      if (w === 0) continue;
      const src = (yFirst[y] + k) * row;
      for (let i = 0; i < row; i++) acc[i] += w * tmp[src + i];
    }
    const o = y * row;
    for (let i = 0; i < row; i++) {
      const s = acc[i];
      out[o + i] = s <= 0 ? 0 : s >= 255 ? 255 : Math.round(s);
    }
  }
  return { width, height, data: out };
}

/**
 * Per output index i: the first input index it overlaps (first[i]) and `taps` overlap weights
 * (weights[i * taps + k], summing to 1; zero past the covered area, and never reading past the input).
 */
function coverage(from: number, to: number): { first: Int32Array; weights: Float32Array; taps: number } {
  const scale = from / to;
  const taps = Math.min(from, Math.ceil(scale) + 1);
  const first = new Int32Array(to);
  const weights = new Float32Array(to * taps);
  for (let i = 0; i < to; i++) {
    const a = i * scale, b = (i + 1) * scale;
    first[i] = Math.min(Math.floor(a), from - taps);
    for (let j = Math.floor(a); j < Math.min(from, Math.ceil(b)); j++) {
      const k = j - first[i];
      if (k >= 0 && k < taps) weights[i * taps + k] = (Math.min(b, j + 1) - Math.max(a, j)) / scale;
    }
  }
  return { first, weights, taps };
}
