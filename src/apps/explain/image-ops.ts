/** Pixel operations the explainers need: a small working copy, a blurred copy, and region masks. */
import sharp, { type Sharp } from 'sharp';
import type { RgbImage } from '../../image/types.js';

/** Longest side of the copy explainers work on: the encoders see 224-299 px, so more only costs time. */
export const WORK_SIZE = 448;

function rawSharp(img: RgbImage): Sharp {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } });
}

async function toRgb(s: Sharp): Promise<RgbImage> {
  const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The image scaled down (never up) so its longest side is at most `size`. */
export async function workCopy(img: RgbImage, size = WORK_SIZE): Promise<RgbImage> {
  if (Math.max(img.width, img.height) <= size) return img;
  return toRgb(rawSharp(img).resize(size, size, { fit: 'inside', kernel: 'cubic' }));
}

/** A strongly blurred copy (sigma = 1/16 of the shorter side): what "removed" looks like in insertion curves. */
export async function blurred(img: RgbImage, sigma = Math.max(1, Math.min(img.width, img.height) / 16)): Promise<RgbImage> {
  return toRgb(rawSharp(img).blur(sigma));
}

/** A flat grey image of the same size. */
export function grey(img: RgbImage, value = 128): RgbImage {
  return { width: img.width, height: img.height, data: new Uint8Array(img.data.length).fill(value) };
}

/** A pixel rectangle, half-open: x0 <= x < x1, y0 <= y < y1. */
export interface Rect { x0: number; y0: number; x1: number; y1: number }

/** Copy of `img` with the rectangles taken from `fill` (same size). */
export function pasteRegions(img: RgbImage, fill: RgbImage, rects: Rect[]): RgbImage {
  const data = Uint8Array.from(img.data);
  const W = img.width;
  for (const r of rects) {
    for (let y = Math.max(0, r.y0); y < Math.min(img.height, r.y1); y++) {
      const a = (y * W + Math.max(0, r.x0)) * 3, b = (y * W + Math.min(W, r.x1)) * 3;
      data.set(fill.data.subarray(a, b), a);
    }
  }
  return { width: img.width, height: img.height, data };
}

/** The pixel rectangle of grid cell (r, c) on a rows x cols grid over the image. */
export function cellRect(img: { width: number; height: number }, rows: number, cols: number, r: number, c: number): Rect {
  return {
    x0: Math.round((c / cols) * img.width), x1: Math.round(((c + 1) / cols) * img.width),
    y0: Math.round((r / rows) * img.height), y1: Math.round(((r + 1) / rows) * img.height),
  };
}
