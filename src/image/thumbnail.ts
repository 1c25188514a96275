import sharp from 'sharp';
import { InputError } from '../util/errors.js';
import { resolveLimits, type ImageLimits } from './limits.js';
import { decodeError, openImage } from './source.js';
import type { ImageInput, RgbImage } from './types.js';

export interface ThumbnailOptions {
  /** default 'jpeg' */
  format?: 'jpeg' | 'webp';
  /** 1..100, default 80 */
  quality?: number;
  /** WebP encoder effort 0 (fastest) .. 6 (smallest); default 4, sharp's */
  effort?: number;
  limits?: Partial<ImageLimits>;
}

/**
 * A small preview whose longer side is at most maxSide (never enlarged), EXIF-rotated upright,
 * alpha on white. Metadata is stripped, so no GPS position leaks into thumbnails.
 */
export async function makeThumbnail(input: ImageInput, maxSide = 256, options: ThumbnailOptions = {}): Promise<Buffer> {
  if (!Number.isInteger(maxSide) || maxSide < 1) throw new RangeError(`thumbnail: maxSide must be a positive integer, got ${maxSide}`);
  const quality = options.quality ?? 80;
  if (!(quality >= 1 && quality <= 100)) throw new RangeError(`thumbnail: quality must be 1..100, got ${quality}`);
  const img = await openImage(input, resolveLimits(options.limits));
  img.pipeline.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true });
  if ((options.format ?? 'jpeg') === 'webp') img.pipeline.webp({ quality, effort: options.effort ?? 4 });
  else img.pipeline.jpeg({ quality });
  try {
    return await img.pipeline.toBuffer();
  } catch (e) {
    throw e instanceof InputError ? e : decodeError(e, img.label);
  }
}

export interface EncodeOptions {
  /** 1..100, default 80 */
  quality?: number;
  /** WebP encoder effort 0 (fastest) .. 6 (smallest); default 4, sharp's */
  effort?: number;
}

/** Pixels already decoded and sized (see thumbnail-pixels.ts) -> WebP bytes, with no second decode. */
export async function encodeWebp(img: RgbImage, options: EncodeOptions = {}): Promise<Buffer> {
  const quality = options.quality ?? 80;
  if (!(quality >= 1 && quality <= 100)) throw new RangeError(`thumbnail: quality must be 1..100, got ${quality}`);
  const raw = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return sharp(raw, { raw: { width: img.width, height: img.height, channels: 3 } })
    .webp({ quality, effort: options.effort ?? 4 })
    .toBuffer();
}
