import type { RgbImage } from '../image/types.js';
import { createRng } from '../util/rng.js';
import type { FeatureVariant } from './feature-cache.js';

/**
 * Random-resized crop views for the feature cache (the augmentation of torchvision's RandomResizedCrop +
 * RandomHorizontalFlip, applied once per image and view): the box depends only on (image name, view, size),
 * so a rerun of the cache writes the same crops and a resumed extraction stays consistent.
 */

/** Fraction of the image area a crop covers. */
export const CROP_SCALE: readonly [number, number] = [0.6, 0.9];
/** Width / height of a crop (sampled log-uniformly). */
export const CROP_RATIO: readonly [number, number] = [3 / 4, 4 / 3];

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Mirror the crop left-right (free extra variety: one decode serves both). */
  flip: boolean;
}

export function cropVariant(view: number): FeatureVariant {
  return `crop${view}`;
}

/** FNV-1a of a string: a stable 32-bit seed per image name. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The box of crop view `view` of image `name` (width x height pixels after EXIF orientation). */
export function cropBox(name: string, view: number, width: number, height: number): CropBox {
  const rng = createRng((hash32(name) ^ Math.imul(view + 1, 0x9e3779b1)) >>> 0);
  const area = width * height;
  const [lo, hi] = [Math.log(CROP_RATIO[0]), Math.log(CROP_RATIO[1])];
  // Rejection sampling as torchvision does: a very elongated image cannot hold every (scale, ratio) pair.
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (CROP_SCALE[0] + (CROP_SCALE[1] - CROP_SCALE[0]) * rng());
    const ratio = Math.exp(lo + (hi - lo) * rng());
    const w = Math.round(Math.sqrt(target * ratio));
    const h = Math.round(Math.sqrt(target / ratio));
    if (w >= 1 && h >= 1 && w <= width && h <= height) {
      const x = Math.floor(rng() * (width - w + 1));
      const y = Math.floor(rng() * (height - h + 1));
      return { x, y, width: w, height: h, flip: rng() < 0.5 };
    }
  }
  // Fallback: the centred box of mid scale with the aspect clamped into the ratio range.
  const scale = (CROP_SCALE[0] + CROP_SCALE[1]) / 2;
  const ratio = Math.min(Math.max(width / height, CROP_RATIO[0]), CROP_RATIO[1]);
  const w = Math.max(1, Math.min(width, Math.round(Math.sqrt(area * scale * ratio))));
  const h = Math.max(1, Math.min(height, Math.round(Math.sqrt((area * scale) / ratio))));
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h, flip: rng() < 0.5 };
}

/** The pixels of a box (mirrored when box.flip), as a new image. */
export function cropRgb(img: RgbImage, box: CropBox): RgbImage {
  const { x, y, width: w, height: h } = box;
  if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > img.width || y + h > img.height) {
    throw new RangeError(`cropRgb: box ${w}x${h}+${x}+${y} outside the ${img.width}x${img.height} image`);
  }
  const data = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    const src = ((y + r) * img.width + x) * 3;
    const dst = r * w * 3;
    if (!box.flip) {
      data.set(img.data.subarray(src, src + w * 3), dst);
      continue;
    }
    for (let c = 0; c < w; c++) {
      const s = src + (w - 1 - c) * 3;
      data[dst + c * 3] = img.data[s];
      data[dst + c * 3 + 1] = img.data[s + 1];
      data[dst + c * 3 + 2] = img.data[s + 2];
    }
  }
  return { width: w, height: h, data };
}
