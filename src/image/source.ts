/**
 * Turns any ImageInput into a validated sharp pipeline: file checks, byte and pixel caps from the
 * header, then auto-orient + flatten + sRGB. Callers add resize/flip and pull raw RGB. Internal to src/image/.
 */
import { stat } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { InputError } from '../util/errors.js';
import { checkBytes, checkPixels, prefix, type ImageLimits } from './limits.js';
import { isRgbImage, type ImageInput, type RgbImage } from './types.js';

export const SUPPORTED_FORMATS = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';

const WHITE = { r: 255, g: 255, b: 255 };

/**
 * 'warning' (sharp's strictest level) is what catches both a cut-off JPEG and one with scrambled
 * entropy data; 'truncated' and 'error' let the latter through as silently garbled pixels.
 */
const FAIL_ON = 'warning' as const;

export interface OpenedImage {
  /** oriented, alpha flattened onto white, 8-bit sRGB; add resize etc. then call readRaw(). */
  pipeline: Sharp;
  /** the path, or a caller-chosen name, for error messages; undefined for anonymous buffers. */
  label?: string;
  /** header metadata (undefined for RgbImage input). */
  meta?: Metadata;
}

export async function openImage(input: ImageInput, limits: ImageLimits, label?: string): Promise<OpenedImage> {
  if (isRgbImage(input)) {
    checkRgbImage(input, limits, label);
    const raw = Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength);
    return { pipeline: sharp(raw, { raw: { width: input.width, height: input.height, channels: 3 } }), label };
  }
  let src: string | Buffer;
  if (typeof input === 'string') {
    label ??= input;
    await checkFile(input, limits);
    src = input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength === 0) throw new InputError(`${prefix(label)}empty buffer (0 bytes), not an image`);
    checkBytes(input.byteLength, limits, label);
    src = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  } else {
    throw new TypeError('image input must be a path, a Buffer/Uint8Array of encoded bytes, or an RgbImage');
  }

  const pipeline = sharp(src, { failOn: FAIL_ON, limitInputPixels: limits.maxPixels });
  let meta: Metadata;
  try {
    meta = await pipeline.metadata(); // header only
  } catch (e) {
    if (/pixel limit/i.test(errorMessage(e))) {
      // sharp refuses without saying how big: re-read the header, uncapped, to say so.
      const m = await sharp(src, { limitInputPixels: false }).metadata().catch(() => undefined);
      if (m?.width && m.height) checkPixels(m.width, m.height, limits, label);
    }
    throw decodeError(e, label);
  }
  if (!isSupported(meta)) {
    throw new InputError(`${prefix(label)}unsupported image format '${formatName(meta)}' (supported: ${SUPPORTED_FORMATS})`);
  }
  checkPixels(meta.width ?? 0, meta.height ?? 0, limits, label); // first frame/page only: that is all we decode
  pipeline.autoOrient().flatten({ background: WHITE }).toColourspace('srgb');
  return { pipeline, label, meta };
}

/** Runs the pipeline to interleaved 8-bit RGB. */
export async function readRaw(img: OpenedImage): Promise<RgbImage> {
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await img.pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw decodeError(e, img.label);
  }
  const { data, info } = out;
  if (info.channels !== 3) throw new Error(`internal: expected 3 channels from sharp, got ${info.channels}`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function checkRgbImage(img: RgbImage, limits: ImageLimits, label?: string): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || !(data instanceof Uint8Array)) {
    throw new InputError(`${prefix(label)}RgbImage needs integer width/height and Uint8Array data`);
  }
  checkPixels(width, height, limits, label);
  if (data.length !== width * height * 3) {
    throw new InputError(`${prefix(label)}RgbImage data has ${data.length} bytes, expected ${width}x${height}x3 = ${width * height * 3}`);
  }
}

/** File-level checks with one clear message each: missing, unreadable, directory, empty, too big. */
export async function checkFile(path: string, limits: ImageLimits): Promise<number> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError(`file not found: ${path}`);
    if (code === 'EACCES' || code === 'EPERM') throw new InputError(`${path}: permission denied`);
    throw new InputError(`${path}: cannot read (${errorMessage(e)})`, { cause: e });
  }
  if (st.isDirectory()) throw new InputError(`${path} is a directory, not an image file`);
  if (!st.isFile()) throw new InputError(`${path} is not a regular file`);
  if (st.size === 0) throw new InputError(`${path}: empty file (0 bytes), not an image`);
  checkBytes(st.size, limits, path);
  return st.size;
}

export function isSupported(meta: Metadata): boolean {
  switch (meta.format) {
    case 'jpeg': case 'png': case 'webp': case 'gif': case 'tiff':
      return true;
    case 'heif':
      return meta.compression === 'av1'; // AVIF decodes; HEIC (hevc) is not in sharp's prebuilt libvips
    default:
      return false;
  }
}

export function formatName(meta: Metadata): string {
  return meta.format === 'heif' && meta.compression ? `heif/${meta.compression}` : String(meta.format);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Maps libvips' wording to one line saying what is wrong with the input. */
export function decodeError(e: unknown, label?: string): InputError {
  if (e instanceof InputError) return e;
  const msg = errorMessage(e);
  const detail = msg.split('\n').find((l) => l.trim()) ?? msg;
  const p = prefix(label);
  let text: string;
  if (/unsupported image format/i.test(msg)) text = `${p}not an image, or not a supported format (supported: ${SUPPORTED_FORMATS})`;
  else if (/pixel limit/i.test(msg)) text = `${p}image exceeds the pixel limit (${detail})`;
  else if (/premature end|truncat|unexpected end|short read|end of (file|stream|data)|not enough data|read error|out of data/i.test(msg))
    text = `${p}truncated image data: the file is cut short (${detail})`;
  // With failOn 'warning' libvips sometimes reports only this generic line, whichever damage stopped it.
  else if (/warning treated as error/i.test(msg)) text = `${p}corrupt or truncated image data: the decoder stopped on damaged data`;
  else text = `${p}corrupt image data (${detail})`;
  return new InputError(text, { cause: e });
}
