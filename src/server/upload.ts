/**
 * Images arrive as multipart files (Buffers, via @fastify/multipart's attachFieldsToBody) or as base64
 * strings in JSON (optionally a data: URL). Sizes are checked before decoding base64, pixels from the
 * header before decoding pixels (src/image), so neither a huge body nor a decompression bomb costs memory.
 */
import sharp from 'sharp';
import type { Encoder } from '../encoders/encoder.js';
import { decodeImage } from '../image/decode.js';
import { checkPixels, resolveLimits as imageLimits } from '../image/limits.js';
import type { RgbImage } from '../image/types.js';
import { badRequest, HttpError } from './http-errors.js';
import type { ServerLimits } from './options.js';

const DATA_URL = /^data:[\w/+.-]*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB`;
}

/** Encoded image bytes from one body field. */
export function imageBytes(value: unknown, field: string, limits: ServerLimits): Buffer {
  let buf: Buffer;
  if (Buffer.isBuffer(value)) buf = value;
  else if (typeof value === 'string') {
    const s = value.replace(DATA_URL, '').replace(/\s+/g, '');
    if (!BASE64.test(s)) throw badRequest(`${field}: expected a base64 string (or a data: URL) of an image file, or a multipart file`);
    if (Math.floor((s.length * 3) / 4) > limits.maxUploadBytes + 2) throw tooLarge(field, Math.floor((s.length * 3) / 4), limits);
    buf = Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
  } else throw badRequest(`${field}: expected an image file (multipart) or a base64 string (JSON)`);
  if (buf.length === 0) throw new HttpError(422, `${field}: empty image (0 bytes)`);
  if (buf.length > limits.maxUploadBytes) throw tooLarge(field, buf.length, limits);
  return buf;
}

function tooLarge(field: string, bytes: number, limits: ServerLimits): HttpError {
  return new HttpError(413, `${field}: image is ${mib(bytes)}, over the ${mib(limits.maxUploadBytes)} upload limit: send a smaller file`);
}

/**
 * Refuses an image whose header claims more pixels than the server allows (InputError -> 413), reading
 * the header only. Unreadable headers pass here: the decoder says what is wrong with them.
 */
export async function checkHeader(bytes: Buffer, limits: ServerLimits): Promise<void> {
  const m = await sharp(bytes, { limitInputPixels: false }).metadata().catch(() => undefined);
  if (m?.width && m.height) checkPixels(m.width, m.height, imageLimits({ maxPixels: limits.maxPixels, maxBytes: limits.maxUploadBytes }));
}

/**
 * An upload's embedding. The encoder gets the encoded bytes, as the indexer gives it files, so an
 * uploaded copy of a library image gets exactly the stored vector; src/image checks the header again.
 */
export async function embedUpload(encoder: Encoder, bytes: Buffer[], limits: ServerLimits): Promise<Float32Array[]> {
  for (const b of bytes) await checkHeader(b, limits);
  return bytes.length ? encoder.embedImages(bytes) : [];
}

/** Header check, then decode: InputError (-> 413 over the pixel limit, 422 corrupt/truncated) on bad input. */
export function decodeUpload(bytes: Buffer, limits: ServerLimits): Promise<RgbImage> {
  return decodeImage(bytes, { maxPixels: limits.maxPixels, maxBytes: limits.maxUploadBytes });
}

/** A multipart field given once is a value, given several times an array: always an array here. */
export function many<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Labels from JSON (array) or multipart (repeated fields and/or "a, b, c"). */
export function labelList(v: unknown): string[] {
  return many(v as string | string[] | undefined).flatMap((s) => String(s).split(/[,，\n]/)).map((s) => s.trim()).filter(Boolean);
}
