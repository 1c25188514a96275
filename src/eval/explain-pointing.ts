/**
 * The pointing game (Zhang et al. 2016) on composites whose answer is known: a GTSRB sign pasted at a random
 * place and size on a Flickr8k photo. A heatmap scores a hit when its peak falls inside the pasted box.
 */
import sharp from 'sharp';
import type { RgbImage } from '../image/types.js';
import { peak, type Heatmap } from '../apps/explain/heatmap.js';
import type { Rect } from '../apps/explain/image-ops.js';

export interface Composite {
  image: RgbImage;
  /** where the sign is, in pixels */
  box: Rect;
}

/** Paste `sign` (any image file) scaled to side `size` at (x, y) on `photo`. */
export async function pasteSign(photo: RgbImage, sign: string, size: number, x: number, y: number): Promise<Composite> {
  const { data, info } = await sharp(sign).removeAlpha().resize(size, size, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer({ resolveWithObject: true });
  const out = Uint8Array.from(photo.data);
  for (let r = 0; r < info.height; r++) {
    out.set(data.subarray(r * info.width * 3, (r + 1) * info.width * 3), ((y + r) * photo.width + x) * 3);
  }
  return { image: { width: photo.width, height: photo.height, data: out }, box: { x0: x, y0: y, x1: x + info.width, y1: y + info.height } };
}

/** A random composite: sign side in [minSize, maxSize] pixels, placed anywhere it fits. */
export async function randomComposite(photo: RgbImage, sign: string, rng: () => number, minSize = 48, maxSize = 80): Promise<Composite> {
  const size = Math.min(minSize + Math.floor(rng() * (maxSize - minSize + 1)), photo.width, photo.height);
  const x = Math.floor(rng() * (photo.width - size + 1));
  const y = Math.floor(rng() * (photo.height - size + 1));
  return pasteSign(photo, sign, size, x, y);
}

/** True when the map's peak lies inside the box grown by `tolerance` pixels on each side. */
export function pointingHit(map: Heatmap, c: Composite, tolerance = 0): boolean {
  const p = peak(map, c.image.width, c.image.height);
  const b = c.box;
  return p.x >= b.x0 - tolerance && p.x < b.x1 + tolerance && p.y >= b.y0 - tolerance && p.y < b.y1 + tolerance;
}
