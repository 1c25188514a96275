import type { Encoder } from '../encoders/encoder.js';
import { loadFlickr8k, type Flickr8kLang, type Flickr8kSplit } from '../train/datasets/flickr8k.js';
import { UsageError } from '../util/errors.js';
import { embedImagesBatched, embedTextsBatched } from './embed-batched.js';
import { retrievalMetrics, similarityMatrix, type RankStats } from './retrieval-metrics.js';

export interface RetrievalEvalOptions {
  dataset: 'flickr8k';
  split: Flickr8kSplit;
  lang: Flickr8kLang;
  /** Use only the first N images of the split (standard order) and their captions: for quick checks. */
  limit?: number;
  batchSize?: number;
  quiet?: boolean;
}

export interface RetrievalResult {
  task: 'retrieval';
  /** R@K in percent; ranks 1-based (ties counted pessimistically, see retrieval-metrics.ts). */
  t2i: RankStats;
  i2t: RankStats;
  n_images: number;
  n_texts: number;
  model: string;
  dataset: 'flickr8k';
  split: Flickr8kSplit;
  lang: Flickr8kLang;
  limit: number | null;
  seconds: number;
}

/** Text <-> image retrieval on Flickr8k (each image against all captions of the split). */
export async function evalRetrieval(encoder: Encoder, opts: RetrievalEvalOptions): Promise<RetrievalResult> {
  if (opts.dataset !== 'flickr8k') throw new UsageError(`retrieval evaluation supports --dataset flickr8k (got ${opts.dataset})`);
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) throw new UsageError(`limit must be a positive integer (got ${opts.limit})`);
  const start = Date.now();
  const data = loadFlickr8k(opts.split, opts.lang);
  const nImages = Math.min(data.images.length, opts.limit ?? Infinity);
  const captions = data.captions.filter((c) => c.imageIndex < nImages);
  const batch = { batchSize: opts.batchSize, quiet: opts.quiet };
  const imageVecs = await embedImagesBatched(encoder, data.imagePaths.slice(0, nImages), { ...batch, label: `flickr8k ${opts.split} images` });
  const textVecs = await embedTextsBatched(encoder, captions.map((c) => c.text), {
    ...batch,
    label: `flickr8k ${opts.split} ${opts.lang} captions`,
    lang: opts.lang === 'en' ? 'en' : 'zh',
  });
  const sim = similarityMatrix(textVecs, imageVecs);
  const m = retrievalMetrics(sim, captions.length, nImages, captions.map((c) => c.imageIndex));
  return {
    task: 'retrieval',
    t2i: m.t2i,
    i2t: m.i2t,
    n_images: nImages,
    n_texts: captions.length,
    model: encoder.id,
    dataset: 'flickr8k',
    split: opts.split,
    lang: opts.lang,
    limit: opts.limit ?? null,
    seconds: (Date.now() - start) / 1000,
  };
}
