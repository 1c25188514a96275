/** Decoded 8-bit RGB pixels, row-major, interleaved (HWC). */
export interface RgbImage {
  width: number;
  height: number;
  /** length = width * height * 3 */
  data: Uint8Array;
}

/** Anything vlm accepts as an image: a file path, encoded bytes, or decoded RGB pixels. */
export type ImageInput = string | Buffer | Uint8Array | RgbImage;

export function isRgbImage(x: unknown): x is RgbImage {
  return typeof x === 'object' && x !== null && 'width' in x && 'height' in x && 'data' in x && !(x instanceof Uint8Array);
}
