import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadEncoder } from '../src/encoders/load.js';
import type { Encoder } from '../src/encoders/encoder.js';
import { loadFlickr8k } from '../src/train/datasets/flickr8k.js';
import { datasetDir, repoRoot } from '../src/util/paths.js';
import type { Benchmark } from './harness.js';

const BATCH = 32;

async function imagesPerSecond(encoder: Encoder, paths: string[]): Promise<number> {
  await encoder.embedImages(paths.slice(0, 4)); // warm-up: sessions, kernels, caches
  const t = performance.now();
  for (let i = 0; i < paths.length; i += BATCH) await encoder.embedImages(paths.slice(i, i + BATCH));
  return (paths.length * 1000) / (performance.now() - t);
}

async function textsPerSecond(encoder: Encoder, texts: string[]): Promise<number> {
  await encoder.embedTexts(texts.slice(0, 16));
  const t = performance.now();
  for (let i = 0; i < texts.length; i += 256) await encoder.embedTexts(texts.slice(i, i + 256));
  return (texts.length * 1000) / (performance.now() - t);
}

/**
 * The default model end to end from JPEG files (decode, resize, tower, head): onnxruntime tower vs the tfjs-wasm
 * tower in the same run, and caption embedding throughput. Flickr8k test images when present, else the demo photos.
 */
export const encoderThroughput: Benchmark = {
  name: 'encoder-throughput',
  description: 'default model: images/s from JPEG files (onnxruntime vs tfjs-wasm tower) and captions/s',
  async run() {
    const flickr = datasetDir('flickr8k');
    const data = flickr ? loadFlickr8k('test', 'en') : undefined;
    const demo = join(repoRoot, 'assets', 'demo');
    const paths = data ? data.imagePaths.slice(0, 256) : readdirSync(demo).filter((f) => f.endsWith('.jpg')).map((f) => join(demo, f));
    const texts = data ? data.captions.slice(0, 2000).map((c) => c.text) : Array.from({ length: 1000 }, (_, i) => `a photo number ${i} of a dog on the beach`);

    const onnx = await loadEncoder();
    const onnxRate = await imagesPerSecond(onnx, paths);
    const textRate = await textsPerSecond(onnx, texts);
    await onnx.dispose();

    const prev = process.env.VLM_TOWER_BACKEND;
    process.env.VLM_TOWER_BACKEND = 'tfjs';
    const tfjs = await loadEncoder();
    const tfjsRate = await imagesPerSecond(tfjs, paths.slice(0, 64));
    await tfjs.dispose();
    if (prev === undefined) delete process.env.VLM_TOWER_BACKEND;
    else process.env.VLM_TOWER_BACKEND = prev;

    return {
      model: onnx.id,
      images: paths.length,
      image_source: data ? 'flickr8k test JPEGs' : 'assets/demo JPEGs',
      onnx_images_per_s: +onnxRate.toFixed(1),
      tfjs_images_per_s: +tfjsRate.toFixed(1),
      onnx_over_tfjs: +(onnxRate / tfjsRate).toFixed(2),
      goal_onnx_over_tfjs: 3,
      goal_images_per_s: 50,
      texts: texts.length,
      texts_per_s: +textRate.toFixed(0),
      goal_texts_per_s: 1000,
    };
  },
};
