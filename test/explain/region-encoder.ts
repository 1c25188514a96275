/**
 * A small but real Encoder whose answer is known: an image's embedding depends only on the mean brightness
 * of one region (given as fractions of the width and height), and a text's only on whether it holds a key word.
 * With text "<key>" the image-text similarity rises with that region's brightness and nothing else.
 */
import { l2normalize, type Encoder } from '../../src/encoders/encoder.js';
import { preprocessBatch } from '../../src/image/preprocess.js';

export interface Region { x0: number; y0: number; x1: number; y1: number }

export function regionEncoder(region: Region, key: string): Encoder {
  const S = 64;
  return {
    id: 'test:region',
    dim: 2,
    async embedImages(inputs) {
      const px = await preprocessBatch(inputs, { width: S, height: S, resize: 'squash', scale: 1 / 255, layout: 'nhwc' });
      return inputs.map((_, i) => {
        let s = 0, n = 0;
        for (let y = Math.floor(region.y0 * S); y < Math.ceil(region.y1 * S); y++) {
          for (let x = Math.floor(region.x0 * S); x < Math.ceil(region.x1 * S); x++) {
            const o = i * S * S * 3 + (y * S + x) * 3;
            s += (px[o] + px[o + 1] + px[o + 2]) / 3;
            n++;
          }
        }
        const m = s / n;
        return l2normalize(Float32Array.of(m, 1 - m + 0.1));
      });
    },
    async embedTexts(texts) {
      return texts.map((t) => l2normalize(t.split(/\s+/).includes(key) ? Float32Array.of(1, 0) : Float32Array.of(0.2, 1)));
    },
    dispose() {},
  };
}

/** A white image with some texture, width x height. */
export function whiteImage(width: number, height: number): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = 225 + ((i * 7919) % 31);
  return { width, height, data };
}
