/** Images made on the fly for the image tests (no binary fixtures in the repo). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

export type Rgb = [number, number, number];
export const RED: Rgb = [255, 0, 0];
export const GREEN: Rgb = [0, 255, 0];
export const BLUE: Rgb = [0, 0, 255];

/** Raw interleaved RGB of w x h where colourAt(x, y) gives each pixel. */
export function rawRgb(w: number, h: number, colourAt: (x: number, y: number) => Rgb): Buffer {
  const buf = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) buf.set(colourAt(x, y), (y * w + x) * 3);
  return buf;
}

export function fromRaw(w: number, h: number, colourAt: (x: number, y: number) => Rgb): Sharp {
  return sharp(rawRgb(w, h, colourAt), { raw: { width: w, height: h, channels: 3 } });
}

export function solid(w: number, h: number, c: Rgb, channels: 3 | 4 = 3, alpha = 1): Sharp {
  return sharp({ create: { width: w, height: h, channels, background: { r: c[0], g: c[1], b: c[2], alpha } } });
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * PNG bytes holding a header (IHDR with a correct CRC) that claims width x height RGB, the given IDAT
 * (empty by default; a few KB of deflated zeros make a decompression bomb's start) and IEND.
 */
export function pngHeaderOnly(width: number, height: number, idat: Buffer = Buffer.alloc(0)): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A temp folder removed after the test file finishes. */
export function tempDir(after: (fn: () => void) => void): { dir: string; write: (name: string, data: Buffer | string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-image-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write: (name, data) => {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
  };
}

/** Pixel (x, y) of interleaved RGB. */
export function pixel(img: { width: number; data: Uint8Array }, x: number, y: number): Rgb {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

/** Asserts every channel is within tol of the expectation, with a readable message. */
export function near(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = ''): void {
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}: got [${Array.from(actual).join(', ')}], expected [${Array.from(expected).join(', ')}] ±${tol}`);
    }
  }
}
