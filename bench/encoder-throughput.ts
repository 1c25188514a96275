import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadEncoder } from '../src/encoders/load.js';
import type { Encoder } from '../src/encoders/encoder.js';
import { loadNativeEncoder, type NativeEncoder } from '../src/encoders/native.js';
import { MixedTokenizer } from '../src/text/tokenizer.js';
import { loadFlickr8k } from '../src/train/datasets/flickr8k.js';
import { datasetDir, defaultModelDir, repoRoot, resolveModelDir } from '../src/util/paths.js';
import { median, type Benchmark } from './harness.js';

const BATCH = 32;
const TEXT_BATCH = 256;

/** Images per wall-clock second and CPU ms per image (all threads, incl. JPEG decoding on libuv's pool). */
async function imageRate(encoder: Encoder, paths: string[]): Promise<{ perSecond: number; cpuMsPerImage: number }> {
  await encoder.embedImages(paths.slice(0, 4)); // warm-up: sessions, kernels, caches
  const t = performance.now();
  const c = process.cpuUsage();
  for (let i = 0; i < paths.length; i += BATCH) await encoder.embedImages(paths.slice(i, i + BATCH));
  const cpu = process.cpuUsage(c);
  return { perSecond: (paths.length * 1000) / (performance.now() - t), cpuMsPerImage: (cpu.user + cpu.system) / 1000 / paths.length };
}

/** Captions per wall-clock second (median of `passes`) and CPU ms per caption (all threads; comparable on a busy machine). */
async function textRate(encoder: Encoder, texts: string[], passes: number): Promise<{ perSecond: number; cpuMsPerCaption: number }> {
  await encoder.embedTexts(texts.slice(0, 16));
  const rates: number[] = [];
  const cpus: number[] = [];
  for (let p = 0; p < passes; p++) {
    const t = performance.now();
    const c = process.cpuUsage();
    for (let i = 0; i < texts.length; i += TEXT_BATCH) await encoder.embedTexts(texts.slice(i, i + TEXT_BATCH));
    const cpu = process.cpuUsage(c);
    rates.push((texts.length * 1000) / (performance.now() - t));
    cpus.push((cpu.user + cpu.system) / 1000 / texts.length);
  }
  return { perSecond: median(rates), cpuMsPerCaption: median(cpus) };
}

/** Tokenisation alone (src/text), captions per second: the share of the text path that is not the model. */
function tokenizePerSecond(texts: string[]): number {
  const tokenizer = MixedTokenizer.fromFile(join(defaultModelDir, 'tokenizer.json'));
  tokenizer.encodeBatch(texts.slice(0, 16));
  const t = performance.now();
  for (let i = 0; i < texts.length; i += TEXT_BATCH) tokenizer.encodeBatch(texts.slice(i, i + TEXT_BATCH));
  return (texts.length * 1000) / (performance.now() - t);
}

/**
 * The default model end to end from JPEG files (decode, resize, tower, head) and from caption strings (tokenise,
 * text tower): the onnxruntime path (what loadEncoder picks) against the tfjs-wasm fallback in the same run.
 * Flickr8k test images and EN + ZH captions when present, else the demo photos and generated captions.
 */
export const encoderThroughput: Benchmark = {
  name: 'encoder-throughput',
  description: 'default model: images/s from JPEG files and captions/s, onnxruntime vs tfjs-wasm; the coco model\'s images/s beside it',
  async run() {
    const flickr = datasetDir('flickr8k');
    const data = flickr ? loadFlickr8k('test', 'en') : undefined;
    const demo = join(repoRoot, 'assets', 'demo');
    const paths = data ? data.imagePaths.slice(0, 256) : readdirSync(demo).filter((f) => f.endsWith('.jpg')).map((f) => join(demo, f));
    const texts = data
      ? [...data.captions.slice(0, 1000).map((c) => c.text), ...loadFlickr8k('test', 'zh').captions.slice(0, 1000).map((c) => c.text)]
      : Array.from({ length: 2000 }, (_, i) => (i % 2 ? `一只狗在草地上奔跑，第${i}张照片。` : `a photo number ${i} of a dog running on the beach`));

    const onnx = (await loadEncoder()) as NativeEncoder;
    const onnxImages = await imageRate(onnx, paths);
    const onnxText = await textRate(onnx, texts, 3);
    await onnx.dispose();

    // The accurate shipped model (CenterNet evidence on the full image): what its detector costs, same files.
    const coco = (await loadEncoder(resolveModelDir('coco'))) as NativeEncoder;
    const cocoImages = await imageRate(coco, paths.slice(0, 64));
    await coco.dispose();

    const tfjs = await loadNativeEncoder(defaultModelDir, { backend: 'tfjs' });
    const tfjsImages = await imageRate(tfjs, paths.slice(0, 64));
    const tfjsText = await textRate(tfjs, texts, 1);
    await tfjs.dispose();

    return {
      // other work on the machine at the end of the run: wall-clock rates drop with it, CPU per item much less
      load_average_1m: +loadavg()[0].toFixed(2),
      model: onnx.id,
      runtimes: onnx.runtimes,
      images: paths.length,
      image_source: data ? 'flickr8k test JPEGs' : 'assets/demo JPEGs',
      onnx_images_per_s: +onnxImages.perSecond.toFixed(1),
      tfjs_images_per_s: +tfjsImages.perSecond.toFixed(1),
      onnx_over_tfjs: +(onnxImages.perSecond / tfjsImages.perSecond).toFixed(2),
      onnx_cpu_ms_per_image: +onnxImages.cpuMsPerImage.toFixed(1),
      tfjs_cpu_ms_per_image: +tfjsImages.cpuMsPerImage.toFixed(1),
      goal_onnx_over_tfjs: 3,
      goal_images_per_s: 50,
      coco_model: coco.id,
      coco_images_per_s: +cocoImages.perSecond.toFixed(1),
      coco_cpu_ms_per_image: +cocoImages.cpuMsPerImage.toFixed(1),
      coco_over_default: +(cocoImages.perSecond / onnxImages.perSecond).toFixed(3),
      texts: texts.length,
      text_source: data ? 'flickr8k test captions, 1000 en + 1000 zh' : 'generated en + zh captions',
      texts_per_s: +onnxText.perSecond.toFixed(0),
      tfjs_texts_per_s: +tfjsText.perSecond.toFixed(0),
      texts_onnx_over_tfjs: +(onnxText.perSecond / tfjsText.perSecond).toFixed(2),
      onnx_cpu_ms_per_text: +onnxText.cpuMsPerCaption.toFixed(3),
      tfjs_cpu_ms_per_text: +tfjsText.cpuMsPerCaption.toFixed(3),
      tokenize_texts_per_s: +tokenizePerSecond(texts).toFixed(0),
      goal_texts_per_s: 1000,
    };
  },
};
