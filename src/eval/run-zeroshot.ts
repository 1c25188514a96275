import type { Encoder, Lang } from '../encoders/encoder.js';
import type { ImageInput } from '../image/types.js';
import { fashionMnistClasses, grayToRgb, loadFashionMnistSplit } from '../train/datasets/fashion-mnist.js';
import { loadGtsrb } from '../train/datasets/gtsrb.js';
import { UsageError } from '../util/errors.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import { accuracy, argmax, confusionMatrix, meanPerClassAccuracy, perClassAccuracy, topKAccuracy } from './classification-metrics.js';
import { embedImagesBatched } from './embed-batched.js';
import { promptTemplates, type PromptDomain } from './prompts.js';
import { zeroShotClassifier } from './zero-shot.js';

export type ZeroShotDataset = 'gtsrb' | 'fashion-mnist';

export interface ZeroShotEvalOptions {
  dataset: ZeroShotDataset;
  split?: 'test' | 'train';
  lang: Lang;
  /** Evaluate a seeded random subset of N images (same subset for every model): for quick checks. */
  limit?: number;
  seed?: number;
  /** Prompt templates; default: the dataset's domain ensemble from src/eval/templates/. */
  templates?: string[];
  /** Fashion-MNIST only: dark-on-white instead of the original white-on-black. */
  invert?: boolean;
  batchSize?: number;
  quiet?: boolean;
}

export interface ZeroShotResult {
  task: 'zeroshot';
  /** Accuracies are fractions (0-1). */
  accuracy: number;
  top5: number;
  mean_per_class: number;
  /** 1 / number of classes. */
  chance: number;
  per_class: { id: number; label: string; accuracy: number | null; n: number }[];
  /** confusion[true][predicted]. */
  confusion: number[][];
  labels: string[];
  n: number;
  model: string;
  dataset: ZeroShotDataset;
  split: 'test' | 'train';
  lang: Lang;
  templates: string[];
  limit: number | null;
  seconds: number;
}

interface LabelledSet {
  labels: string[];
  domain: PromptDomain;
  items: { input: () => ImageInput; label: number }[];
}

function loadSet(opts: ZeroShotEvalOptions, split: 'test' | 'train'): LabelledSet {
  if (opts.dataset === 'gtsrb') {
    const g = loadGtsrb();
    return {
      labels: g.classes.map((c) => c[opts.lang]),
      domain: 'traffic',
      items: g[split].map((x) => ({ input: () => x.path, label: x.label })),
    };
  }
  if (opts.dataset === 'fashion-mnist') {
    const f = loadFashionMnistSplit(split);
    return {
      labels: fashionMnistClasses().map((c) => c[opts.lang]),
      domain: 'fashion',
      items: f.images.map((px, i) => ({ input: () => grayToRgb(px, f.width, f.height, { invert: opts.invert }), label: f.labels[i] })),
    };
  }
  throw new UsageError(`zero-shot evaluation supports --dataset gtsrb or fashion-mnist (got ${opts.dataset})`);
}

/** Zero-shot classification accuracy of any Encoder on GTSRB or Fashion-MNIST with prompt ensembles. */
export async function evalZeroShot(encoder: Encoder, opts: ZeroShotEvalOptions): Promise<ZeroShotResult> {
  const split = opts.split ?? 'test';
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) throw new UsageError(`limit must be a positive integer (got ${opts.limit})`);
  const start = Date.now();
  const set = loadSet(opts, split);
  let items = set.items;
  if (opts.limit !== undefined && opts.limit < items.length) {
    // A seeded subset, kept in dataset order, so every model sees the same images.
    const idx = shuffleInPlace(items.map((_, i) => i), createRng(opts.seed ?? 0)).slice(0, opts.limit).sort((a, b) => a - b);
    items = idx.map((i) => items[i]);
  }
  const templates = opts.templates ?? promptTemplates(set.domain, opts.lang);
  const batch = { batchSize: opts.batchSize, quiet: opts.quiet };
  const classifier = await zeroShotClassifier(encoder, set.labels, templates, opts.lang, batch);
  const imageVecs = await embedImagesBatched(encoder, items.map((x) => x.input()), { ...batch, label: `${opts.dataset} ${split} images` });
  const scores = classifier.scores(imageVecs);
  const predicted = scores.map(argmax);
  const truth = items.map((x) => x.label);
  const k = set.labels.length;
  const confusion = confusionMatrix(predicted, truth, k);
  const perClass = perClassAccuracy(predicted, truth, k);
  return {
    task: 'zeroshot',
    accuracy: accuracy(predicted, truth),
    top5: topKAccuracy(scores, truth, 5),
    mean_per_class: meanPerClassAccuracy(predicted, truth, k),
    chance: 1 / k,
    per_class: set.labels.map((label, id) => ({ id, label, accuracy: perClass[id], n: confusion[id].reduce((a, b) => a + b, 0) })),
    confusion,
    labels: set.labels,
    n: items.length,
    model: encoder.id,
    dataset: opts.dataset,
    split,
    lang: opts.lang,
    templates,
    limit: opts.limit ?? null,
    seconds: (Date.now() - start) / 1000,
  };
}
