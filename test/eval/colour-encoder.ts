import sharp from 'sharp';
import { l2normalize, type EmbedTextOptions, type Encoder } from '../../src/encoders/encoder.js';
import { isRgbImage, type ImageInput, type RgbImage } from '../../src/image/types.js';

/**
 * A small but real Encoder for tests: images embed as their mean colour, texts as the sum of the
 * colour words they contain, in a 3-d RGB space. Its outputs follow the Encoder contract (unit
 * vectors, one per input), so code under test runs exactly as with a learned model.
 */
const WORDS: Record<string, [number, number, number]> = {
  red: [1, 0, 0],
  green: [0, 1, 0],
  blue: [0, 0, 1],
  yellow: [1, 1, 0],
  white: [1, 1, 1],
  black: [0.1, 0.1, 0.1],
  bright: [0.5, 0.5, 0.5],
  红: [1, 0, 0],
  绿: [0, 1, 0],
  蓝: [0, 0, 1],
  黄: [1, 1, 0],
  亮: [0.5, 0.5, 0.5],
};

export class ColourEncoder implements Encoder {
  readonly id = 'test-colour-encoder';
  readonly dim = 3;
  textCalls = 0;
  imageCalls = 0;

  async embedImages(inputs: ImageInput[]): Promise<Float32Array[]> {
    this.imageCalls++;
    return Promise.all(inputs.map(async (input) => meanColour(isRgbImage(input) ? input : await decode(input))));
  }

  async embedTexts(texts: string[], opts: EmbedTextOptions = {}): Promise<Float32Array[]> {
    this.textCalls++;
    return texts.map((text) => {
      // English: words; Chinese: characters (as the real tokenizers do).
      const tokens = opts.lang === 'zh' ? [...text] : text.toLowerCase().split(/[^a-z]+/);
      const v = new Float32Array(3);
      for (const t of tokens) WORDS[t]?.forEach((x, i) => (v[i] += x));
      if (v.every((x) => x === 0)) v.fill(1); // no colour word: grey, still a unit vector
      return l2normalize(v);
    });
  }

  dispose(): void {}
}

async function decode(input: string | Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(input).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

function meanColour(img: RgbImage): Float32Array {
  const v = new Float32Array(3);
  for (let i = 0; i < img.data.length; i++) v[i % 3] += img.data[i];
  if (v.every((x) => x === 0)) v.fill(1);
  return l2normalize(v);
}

/** A solid-colour image. */
export function solid(r: number, g: number, b: number, size = 4): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) data.set([r, g, b], i * 3);
  return { width: size, height: size, data };
}
