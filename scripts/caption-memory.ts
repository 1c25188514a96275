/**
 * Builds a model folder's caption memory (src/apps/caption/caption-memory.ts) from the Flickr8k TRAIN split: every
 * train image's embedding under the folder's own encoder, with its English and Chinese reference captions.
 *   node dist/scripts/caption-memory.js --model coco
 * The embeddings come from the training feature caches (tower taps and detector rows, the rows `vlm train` reads)
 * when they cover every input the model takes, else from the image files. Dev and test images never enter the memory.
 */
import { parseArgs } from 'node:util';
import { writeCaptionMemory } from '../src/apps/caption/caption-memory.js';
import { embedImagesBatched } from '../src/eval/embed-batched.js';
import { loadEncoder } from '../src/encoders/load.js';
import { loadVlmModel } from '../src/model/checkpoint.js';
import { loadFeatureTable } from '../src/train/training-data.js';
import { loadFlickr8k } from '../src/train/datasets/flickr8k.js';
import { log } from '../src/util/log.js';
import { defaultModelDir, resolveModelDir } from '../src/util/paths.js';

const { values } = parseArgs({ options: { model: { type: 'string' }, help: { type: 'boolean', default: false } } });
if (values.help) {
  console.log('usage: node dist/scripts/caption-memory.js [--model DIR|name]  (writes caption_memory.{json,safetensors} into the model folder)');
  process.exit(0);
}
const dir = values.model ? resolveModelDir(values.model) : defaultModelDir;
const en = loadFlickr8k('train', 'en');
const zh = loadFlickr8k('train', 'zh');
const captionsOf = (d: typeof en) => {
  const byImage = new Map(d.images.map((n) => [n, [] as string[]]));
  for (const c of d.captions) byImage.get(d.images[c.imageIndex])!.push(c.text);
  return en.images.map((n) => byImage.get(n) ?? []);
};

const t0 = Date.now();
const enc = await loadEncoder(dir);
let embeddings: Float32Array[];
let source: string;
try {
  const vlm = await loadVlmModel(dir);
  try {
    const feats = Object.fromEntries(vlm.imageInputs.map((s) => {
      const t = loadFeatureTable(s, en.images);
      return [t.key, en.images.map((_, i) => t.orig.subarray(i * t.dim, (i + 1) * t.dim))];
    }));
    embeddings = vlm.embedImageFeatures(feats);
    source = 'feature caches';
  } finally {
    vlm.dispose();
  }
} catch (e) {
  log(`feature caches do not cover this model (${(e as Error).message}); embedding the ${en.images.length} image files`);
  embeddings = await embedImagesBatched(enc, en.imagePaths, { label: 'caption memory' });
  source = 'image files';
}
const dim = embeddings[0].length;
const flat = new Float32Array(embeddings.length * dim);
embeddings.forEach((e, i) => flat.set(e, i * dim));
writeCaptionMemory(dir, { encoderId: enc.id, source: 'Flickr8k train', images: en.images, dim, embeddings: flat, captions: { en: captionsOf(en), zh: captionsOf(zh) } });
await enc.dispose();
log(`caption memory of ${dir}: ${en.images.length} Flickr8k train images (embeddings from ${source}), ${((Date.now() - t0) / 1000).toFixed(0)} s`);
