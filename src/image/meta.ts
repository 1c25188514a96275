/**
 * Header-only facts about an image file for indexing photo folders: size, format and the EXIF
 * capture time, camera and position. Nothing is decoded.
 */
import exifr from 'exifr';
import sharp, { type Metadata } from 'sharp';
import { InputError } from '../util/errors.js';
import { resolveLimits } from './limits.js';
import { checkFile, decodeError, formatName, isSupported, SUPPORTED_FORMATS } from './source.js';

export interface ImageMeta {
  /** as displayed, i.e. after EXIF orientation (a portrait phone photo is taller than wide) */
  width: number;
  height: number;
  /** sharp's name: jpeg, png, webp, gif, tiff, heif */
  format: string;
  /** file size */
  bytes: number;
  /** EXIF orientation tag 1..8 when present */
  orientation?: number;
  /**
   * Capture time, epoch ms, from EXIF DateTimeOriginal (else CreateDate). Uses the recorded
   * OffsetTimeOriginal when there is one; otherwise the camera's wall-clock time read as UTC.
   */
  takenAt?: number;
  /** "Make Model" without the make repeated, e.g. "Canon EOS 5D" */
  camera?: string;
  /** decimal degrees, south and west negative */
  gps?: { lat: number; lon: number };
}

interface ExifFields {
  Make?: unknown;
  Model?: unknown;
  DateTimeOriginal?: unknown;
  CreateDate?: unknown;
  OffsetTimeOriginal?: unknown;
  OffsetTime?: unknown;
  latitude?: unknown;
  longitude?: unknown;
}

const EXIF_OPTIONS: Parameters<typeof exifr.parse>[1] = {
  ifd0: { pick: ['Make', 'Model'] },
  exif: { pick: ['DateTimeOriginal', 'CreateDate', 'OffsetTimeOriginal', 'OffsetTime'] },
  gps: true, // exifr adds decimal latitude/longitude
  ifd1: false,
  interop: false,
  reviveValues: false, // keep the date as text: exifr would read it in this machine's time zone
};

export async function readImageMeta(path: string): Promise<ImageMeta> {
  // no byte cap: reading a header is cheap whatever the file size
  const bytes = await checkFile(path, resolveLimits({ maxBytes: Number.MAX_SAFE_INTEGER }));
  let m: Metadata;
  try {
    m = await sharp(path, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw decodeError(e, path);
  }
  if (!isSupported(m)) throw new InputError(`${path}: unsupported image format '${formatName(m)}' (supported: ${SUPPORTED_FORMATS})`);
  return imageMetaFromHeader(path, m, bytes);
}

/**
 * The same facts from a header sharp has already read (e.g. while decoding the file's bytes), so a
 * caller that decodes anyway does not parse the header twice. `bytes` is the file size.
 */
export async function imageMetaFromHeader(path: string, m: Metadata, bytes: number): Promise<ImageMeta> {
  const meta: ImageMeta = {
    width: m.autoOrient?.width ?? m.width ?? 0,
    height: m.autoOrient?.height ?? m.height ?? 0,
    format: m.format ?? 'unknown',
    bytes,
  };
  if (m.orientation) meta.orientation = m.orientation;

  const exif = await readExif(path, m).catch(() => undefined); // broken EXIF must not hide a good image
  if (exif) {
    const takenAt = parseExifDate(exif.DateTimeOriginal ?? exif.CreateDate, exif.OffsetTimeOriginal ?? exif.OffsetTime);
    if (takenAt !== undefined) meta.takenAt = takenAt;
    const camera = cameraName(exif.Make, exif.Model);
    if (camera) meta.camera = camera;
    const { latitude: lat, longitude: lon } = exif;
    // 0,0 is what many devices write when they had no fix
    if (typeof lat === 'number' && typeof lon === 'number' && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 && (lat !== 0 || lon !== 0)) {
      meta.gps = { lat, lon };
    }
  }
  return meta;
}

/** sharp hands over the EXIF block it found in the header (JPEG APP1, PNG eXIf, WebP EXIF); TIFF keeps tags in its own IFDs. */
async function readExif(path: string, m: Metadata): Promise<ExifFields | undefined> {
  if (m.exif?.length) {
    const hasPrefix = m.exif.subarray(0, 6).toString('latin1') === 'Exif\0\0';
    return exifr.parse(hasPrefix ? m.exif.subarray(6) : m.exif, EXIF_OPTIONS);
  }
  if (m.format === 'tiff') return exifr.parse(path, EXIF_OPTIONS);
  return undefined;
}

/** "2021:07:04 15:30:00" (+ optional "+02:00") -> epoch ms; undefined for blank or zeroed dates. */
export function parseExifDate(value: unknown, offset?: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const d = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?/.exec(value.trim());
  if (!d) return undefined;
  const [y, mo, da, h, mi, s] = d.slice(1, 7).map(Number);
  if (y < 1800 || mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = d[7] ? Math.round(Number(`0.${d[7]}`) * 1000) : 0;
  let t = Date.UTC(y, mo - 1, da, h, mi, s, ms);
  const o = typeof offset === 'string' ? /^([+-])(\d{2}):?(\d{2})$/.exec(offset.trim()) : null;
  if (o) t -= (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3])) * 60_000;
  return t;
}

function cameraName(make: unknown, model: unknown): string | undefined {
  const clean = (v: unknown) => (typeof v === 'string' ? v.replace(/\0/g, '').trim() : '');
  const mk = clean(make), md = clean(model);
  if (!md) return mk || undefined;
  if (!mk || md.toLowerCase().startsWith(mk.toLowerCase())) return md;
  // "NIKON CORPORATION" + "NIKON D750": compare the first word too
  const first = mk.split(/\s+/)[0].toLowerCase();
  return md.toLowerCase().startsWith(first) ? md : `${mk} ${md}`;
}
