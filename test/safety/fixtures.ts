/** Test fixtures for the safety check: a small real classifier whose answer is known, and solid-colour images. */
import sharp from 'sharp';
import type { SafetyClassifier } from '../../src/apps/safety/index.js';
import { preprocessBatch } from '../../src/image/preprocess.js';

/** "Porn" = mean red minus mean green/blue, so a red image is flagged and a green or blue one is not. */
export const redIsUnsafe: SafetyClassifier = {
  id: 'test:red',
  async classify(inputs) {
    const px = await preprocessBatch(inputs, { width: 8, height: 8, resize: 'squash', scale: 1 / 255, layout: 'nhwc' });
    return inputs.map((_, i) => {
      let r = 0, gb = 0;
      for (let k = 0; k < 64; k++) {
        r += px[i * 192 + k * 3];
        gb += (px[i * 192 + k * 3 + 1] + px[i * 192 + k * 3 + 2]) / 2;
      }
      const porn = Math.min(1, Math.max(0, (r - gb) / 64));
      return { Drawing: 0, Hentai: 0, Neutral: 1 - porn, Porn: porn, Sexy: 0 };
    });
  },
  dispose() {},
};

/** A 40x30 PNG of one colour. */
export const solid = (r: number, g: number, b: number): Promise<Buffer> =>
  sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g, b } } }).png().toBuffer();
