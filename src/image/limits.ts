import { InputError } from '../util/errors.js';

/** Caps checked before any pixel is decoded, so a hostile or huge file is refused cheaply. */
export interface ImageLimits {
  /** width * height of the (first frame of the) image, read from the header. */
  maxPixels: number;
  /** size of the encoded file or buffer. */
  maxBytes: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({
  maxPixels: 50_000_000,
  maxBytes: 100 * 1024 * 1024,
});

export function resolveLimits(limits?: Partial<ImageLimits>): ImageLimits {
  const l = { ...DEFAULT_IMAGE_LIMITS, ...limits };
  for (const k of ['maxPixels', 'maxBytes'] as const) {
    if (!(l[k] > 0)) throw new RangeError(`image limits: ${k} must be a positive number, got ${l[k]}`);
  }
  return l;
}

/** "a.png: " when we know the file, "" for in-memory input. */
export function prefix(label: string | undefined): string {
  return label ? `${label}: ` : '';
}

/** "400.0" for images (one decimal, as people read MP), "50" / "0.005" for limits. */
function megapixels(n: number, fixed: boolean): string {
  const mp = n / 1e6;
  if (fixed && n >= 1e5) return mp.toFixed(1);
  return String(Number(mp.toPrecision(3)));
}

/** Throws InputError when the header dimensions exceed the pixel cap. */
export function checkPixels(width: number, height: number, limits: ImageLimits, label?: string): void {
  if (!(width > 0 && height > 0)) {
    throw new InputError(`${prefix(label)}image has no pixels (${width}x${height})`);
  }
  const px = width * height;
  if (px > limits.maxPixels) {
    throw new InputError(
      `${prefix(label)}image is ${width}x${height} = ${megapixels(px, true)} MP, ` +
        `over the ${megapixels(limits.maxPixels, false)} MP limit`,
    );
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const [v, unit] = n < 1024 ** 2 ? [n / 1024, 'KiB'] : n < 1024 ** 3 ? [n / 1024 ** 2, 'MiB'] : [n / 1024 ** 3, 'GiB'];
  return `${v.toFixed(1).replace(/\.0$/, '')} ${unit}`;
}

/** Throws InputError when the encoded size exceeds the byte cap. */
export function checkBytes(bytes: number, limits: ImageLimits, label?: string): void {
  if (bytes > limits.maxBytes) {
    throw new InputError(`${prefix(label)}${label ? 'file' : 'data'} is ${formatBytes(bytes)}, over the ${formatBytes(limits.maxBytes)} limit`);
  }
}
