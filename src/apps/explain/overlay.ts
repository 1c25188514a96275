/** A heatmap drawn over the image it explains, as a PNG at the image's own size. */
import sharp from 'sharp';
import type { RgbImage } from '../../image/types.js';
import { normalize01, upsample, type Heatmap } from './heatmap.js';

/** Google's Turbo colormap (Mikhailov 2019), polynomial fit: t in 0..1 -> RGB 0..255. */
export function turbo(t: number): [number, number, number] {
  const x = Math.min(Math.max(t, 0), 1);
  const r = 0.13572138 + x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))));
  const g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))));
  const b = 0.1066733 + x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))));
  const c = (v: number) => Math.round(255 * Math.min(Math.max(v, 0), 1));
  return [c(r), c(g), c(b)];
}

export interface OverlayOptions {
  /** opacity of the colour at the most relevant places (default 0.6); it fades with relevance */
  opacity?: number;
}

/** PNG bytes: the image with the (min-max scaled) map in Turbo colours on top, same width and height. */
export async function overlayPng(image: RgbImage, map: Heatmap, opts: OverlayOptions = {}): Promise<Buffer> {
  const { width, height } = image;
  const v = upsample(normalize01(map), width, height);
  const alpha = opts.opacity ?? 0.6;
  const lut = Array.from({ length: 256 }, (_, i) => turbo(i / 255));
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < v.length; i++) {
    const k = Math.round(v[i] * 255);
    const [r, g, b] = lut[k];
    rgba[i * 4] = r;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = b;
    // a floor keeps the colour scale readable everywhere; relevant regions are painted more opaquely
    rgba[i * 4 + 3] = Math.round(255 * alpha * (0.35 + 0.65 * v[i]));
  }
  const base = sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width, height, channels: 3 } });
  return base.composite([{ input: rgba, raw: { width, height, channels: 4 } }]).png().toBuffer();
}
