import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RgbImage } from '../../image/types.js';
import { VlmError } from '../../util/errors.js';
import { fashionMnistDir } from '../../util/paths.js';
import { parseIdx } from './idx.js';
import { readLabelNames, type LabelNames } from './label-names.js';

export type FashionMnistSplit = 'train' | 'test';

export interface FashionMnistImages {
  /** One 28x28 grayscale image per item (views into one buffer), white object on black. */
  images: Uint8Array[];
  labels: Uint8Array;
  width: 28;
  height: 28;
}

export interface FashionMnist {
  /** name = official name ("T-shirt/top"); en / zh = prompt names (src/eval/labels/fashion-mnist.json). */
  classes: Required<LabelNames>[];
  train: FashionMnistImages;
  test: FashionMnistImages;
}

const FILES: Record<FashionMnistSplit, [string, string]> = {
  train: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
  test: ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
};

export function fashionMnistClasses(): Required<LabelNames>[] {
  return readLabelNames('fashion-mnist.json').map((c) => ({ ...c, name: c.name ?? c.en }));
}

/** One split of Fashion-MNIST from the Debian package dataset-fashion-mnist. */
export function loadFashionMnistSplit(split: FashionMnistSplit): FashionMnistImages {
  const dir = fashionMnistDir();
  if (!dir) {
    throw new VlmError(
      'Fashion-MNIST not found at /usr/share/datasets/fashion-mnist: run `apt-get install dataset-fashion-mnist` or set VLM_FASHION_MNIST',
    );
  }
  const [imageFile, labelFile] = FILES[split].map((f) => join(dir, f));
  for (const f of [imageFile, labelFile]) if (!existsSync(f)) throw new VlmError(`Fashion-MNIST: missing ${f}`);
  const images = parseIdx(readFileSync(imageFile), imageFile);
  const labels = parseIdx(readFileSync(labelFile), labelFile);
  const [n, h, w] = images.dims;
  if (images.dims.length !== 3 || h !== 28 || w !== 28) throw new VlmError(`${imageFile}: expected N x 28 x 28, got ${images.dims.join('x')}`);
  if (labels.dims.length !== 1 || labels.dims[0] !== n) throw new VlmError(`${labelFile}: expected ${n} labels, got ${labels.dims.join('x')}`);
  const size = h * w;
  const list: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) list[i] = images.data.subarray(i * size, (i + 1) * size);
  return { images: list, labels: labels.data, width: 28, height: 28 };
}

export function loadFashionMnist(): FashionMnist {
  return { classes: fashionMnistClasses(), train: loadFashionMnistSplit('train'), test: loadFashionMnistSplit('test') };
}

/**
 * A grayscale image as RGB pixels for an Encoder. `invert` turns the white-on-black digits-style images
 * into dark-on-white, closer to product photos.
 */
export function grayToRgb(pixels: Uint8Array, width: number, height: number, opts: { invert?: boolean } = {}): RgbImage {
  if (pixels.length !== width * height) throw new VlmError(`grayToRgb: ${pixels.length} pixels for ${width}x${height}`);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < pixels.length; i++) {
    const v = opts.invert ? 255 - pixels[i] : pixels[i];
    data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = v;
  }
  return { width, height, data };
}
