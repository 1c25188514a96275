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
  const tmp = new Float32Array(width * sh * channels); // horizontally resampled rows
  for (let y = 0; y < sh; y++) {
    const row = y * sw * channels;
    for (let x = 0; x < width; x++) {
      const { first, weights } = xs[x];
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = 0; k < weights.length; k++) s += weights[k] * data[row + (first + k) * channels + c];
        tmp[(y * width + x) * channels + c] = s;
      }
    }
  }
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const { first, weights } = ys[y];
    for (let i = 0; i < width * channels; i++) {
      let s = 0;
      for (let k = 0; k < weights.length; k++) s += weights[k] * tmp[(first + k) * width * channels + i];
      out[y * width * channels + i] = Math.min(255, Math.max(0, Math.round(s)));
    }
  }
  return { width, height, data: out };
}

/** Per output index: the first input index it overlaps and the overlap weights (summing to 1). */
function coverage(from: number, to: number): { first: number; weights: Float32Array }[] {
  const scale = from / to;
  return Array.from({ length: to }, (_, i) => {
    const a = i * scale, b = (i + 1) * scale;
    const first = Math.floor(a);
    const last = Math.min(from - 1, Math.ceil(b) - 1);
    const weights = new Float32Array(last - first + 1);
    for (let j = first; j <= last; j++) weights[j - first] = (Math.min(b, j + 1) - Math.max(a, j)) / scale;
    return { first, weights };
  });
}
