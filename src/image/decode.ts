import { resolveLimits, type ImageLimits } from './limits.js';
import { checkRgbImage, openImage, readRaw } from './source.js';
import { isRgbImage, type ImageInput, type RgbImage } from './types.js';

/**
 * Decodes a path, encoded bytes (JPEG/PNG/WebP/GIF first frame/TIFF first page/AVIF) or an RgbImage
 * to full-size 8-bit RGB: EXIF orientation applied, grey expanded to RGB, alpha flattened onto white,
 * 16-bit reduced to 8-bit. Throws InputError (naming the file) for anything that is not a usable image.
 * An RgbImage input is validated and returned as is.
 */
export async function decodeImage(input: ImageInput, limits?: Partial<ImageLimits>): Promise<RgbImage> {
  const l = resolveLimits(limits);
  if (isRgbImage(input)) {
    checkRgbImage(input, l);
    return input;
  }
  return readRaw(await openImage(input, l));
}
