import { l2normalize, type EmbedTextOptions, type Encoder } from '../../src/encoders/encoder.js';
import type { ImageInput, RgbImage } from '../../src/image/types.js';
import { decodeImage } from '../../src/image/decode.js';
import { createRng } from '../../src/util/rng.js';
import sharp from 'sharp';

/**
 * Synthetic coloured shapes and a small, real Encoder that sees them: an image embeds as the mean colour
 * of its foreground (pixels that differ from the corner colour; files are read by
 * vlm's own decoder, so unreadable ones raise InputError like a real model's) and how much of the foreground's
 * bounding box it fills (square 1, circle ~0.79, triangle ~0.5), in 6 dims. Texts embed by the colour and
 * shape words they contain. So the right answer of every test is known, zero-shot works for labels named
 * by colour and shape, and labels with meaningless names can only be learned from examples.
 */
export type Shape = 'square' | 'circle' | 'triangle';

const COLOURS: Record<string, [number, number, number]> = {
  red: [220, 30, 30], green: [30, 200, 40], blue: [30, 40, 220], yellow: [230, 220, 30],
};
const COLOUR_DIMS: Record<string, number[]> = { red: [1, 0, 0], green: [0, 1, 0], blue: [0, 0, 1], yellow: [1, 1, 0] };
const SHAPE_DIMS: Record<Shape, number[]> = { square: [1, 0, 0], circle: [0, 1, 0], triangle: [0, 0, 1] };

export function drawShape(shape: Shape, colour: keyof typeof COLOURS | string, seed: number, size = 24): RgbImage {
  const rng = createRng(seed);
  const [r, g, b] = COLOURS[colour];
  const jitter = () => Math.round((rng() - 0.5) * 40);
  const fg = [r + jitter(), g + jitter(), b + jitter()].map((v) => Math.max(0, Math.min(255, v)));
  const bgv = 235 + Math.floor(rng() * 20);
  const data = new Uint8Array(size * size * 3).fill(bgv);
  const s = Math.floor(size * (0.45 + 0.3 * rng())); // shape size
  const x0 = 1 + Math.floor(rng() * (size - s - 2));
  const y0 = 1 + Math.floor(rng() * (size - s - 2));
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const u = (x + 0.5) / s, v = (y + 0.5) / s;
      const inside = shape === 'square' ? true : shape === 'circle' ? (u - 0.5) ** 2 + (v - 0.5) ** 2 <= 0.25 : u <= v; // lower-left triangle
      if (inside) data.set(fg, ((y0 + y) * size + (x0 + x)) * 3);
    }
  }
  return { width: size, height: size, data };
}

export async function writePng(path: string, img: RgbImage): Promise<void> {
  await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toFile(path);
}

export class ShapeEncoder implements Encoder {
  readonly dim = 6;
  constructor(readonly id = 'test-shape-encoder') {}

  async embedImages(inputs: ImageInput[]): Promise<Float32Array[]> {
    return Promise.all(inputs.map(async (x) => features(await decodeImage(x))));
  }

  async embedTexts(texts: string[], _opts?: EmbedTextOptions): Promise<Float32Array[]> {
    return texts.map((t) => {
      const v = new Float32Array(6);
      for (const w of t.toLowerCase().split(/[^a-z]+/)) {
        COLOUR_DIMS[w]?.forEach((x, i) => (v[i] += x));
        SHAPE_DIMS[w as Shape]?.forEach((x, i) => (v[3 + i] += x));
      }
      if (v.every((x) => x === 0)) v.fill(1);
      return l2normalize(v);
    });
  }

  dispose(): void {}
}


function features(img: RgbImage): Float32Array {
  const { width: w, height: h, data } = img;
  const bg = [data[0], data[1], data[2]];
  const mean = [0, 0, 0];
  let n = 0, minX = w, minY = h, maxX = -1, maxY = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      if (Math.abs(data[o] - bg[0]) + Math.abs(data[o + 1] - bg[1]) + Math.abs(data[o + 2] - bg[2]) < 60) continue;
      for (let c = 0; c < 3; c++) mean[c] += data[o + c];
      n++;
      minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
  }
  const v = new Float32Array(6);
  if (n === 0) return l2normalize(v.fill(1));
  for (let c = 0; c < 3; c++) v[c] = mean[c] / n / 255;
  const fill = n / ((maxX - minX + 1) * (maxY - minY + 1));
  // Shape evidence on the same scale as colour: distance of the fill ratio to each shape's ideal value.
  const ideal = [1, Math.PI / 4, 0.5];
  ideal.forEach((f, i) => (v[3 + i] = Math.exp(-((fill - f) ** 2) / 0.004)));
  return l2normalize(v);
}
