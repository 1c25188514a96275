import type { Encoder, Lang } from '../encoders/encoder.js';
import { LEARNING_METHODS, type FewShotMethod } from '../apps/classify/fewshot-model.js';
import { normalizeRows, stack } from '../apps/classify/matrix.js';
import { UsageError } from '../util/errors.js';
import { log } from '../util/log.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import { runFewShotCore, topConfusions, type FewShotCore } from './fewshot/core.js';
import { loadFewShotSet, type FewShotDataset, type MedpixTask } from './fewshot/datasets.js';
import { EmbeddingCache } from './fewshot/embedding-cache.js';
import { sampleSupport } from './fewshot/sample.js';
import { featureSpecName, parseFeatureSpec, towerFeatureRows } from './fewshot/tower-features.js';
import { promptTemplates } from './prompts.js';
import { zeroShotClassifier } from './zero-shot.js';

export interface FewShotEvalOptions {
  dataset: FewShotDataset | string;
  /** MedPix only: modality (default), plane or location. */
  task?: MedpixTask | string;
  lang?: Lang;
  /** Examples per class, e.g. [1, 2, 4, 8, 16]; a class with fewer training images gives all it has. */
  shots: number[];
  /** Number of random support draws (seeds 0..seeds-1). */
  seeds: number;
  methods?: FewShotMethod[];
  /** Score a seeded random subset of N test images (quick runs); default all. */
  testLimit?: number;
  batchSize?: number;
  quiet?: boolean;
  /** Keep image embeddings under .cache/embeddings (default true). */
  diskCache?: boolean;
  /** What the learning methods fit on: "embedding" (default) or "tower:<tap>[+<tap>]" (see fewshot/tower-features.ts). */
  features?: string;
  /** The model folder (for tower features: which tower). */
  modelDir?: string;
}

export interface FewShotResult extends FewShotCore {
  task: 'fewshot';
  /** e.g. "gtsrb" or "medpix-location". */
  name: string;
  dataset: FewShotDataset;
  medpix_task: MedpixTask | null;
  model: string;
  lang: Lang;
  labels: string[];
  /** English class names (for reports). */
  names: string[];
  chance: number;
  n_test: number;
  n_train_pool: number;
  /** Training images per class available for support sets. */
  train_per_class: number[];
  shots: number[];
  seeds: number;
  methods: FewShotMethod[];
  /** What the learning methods fit on: "embedding" or "tower:<taps>" (zero-shot always uses the embedding). */
  features: string;
  templates: string[];
  test_limit: number | null;
  /** Best method (by mean accuracy) at each shot count. */
  best: { shots: number; method: FewShotMethod; accuracy: number }[];
  top_confusions: { true: string; predicted: string; count: number; share: number }[];
  embed_seconds: number;
  seconds: number;
}

/**
 * `vlm eval fewshot`: few-shot accuracy of any Encoder on GTSRB, Fashion-MNIST or a MedPix task, for each
 * method, as mean ± std over seeded support draws from TRAIN, scored on TEST; zero-shot (prompt ensemble
 * of the dataset's domain) is the 0-shot reference. Images are embedded once per run (and cached on
 * disk per encoder), then every shot count, seed and method reuses the same embeddings.
 */
export async function evalFewShot(encoder: Encoder, opts: FewShotEvalOptions): Promise<FewShotResult> {
  const start = Date.now();
  const lang = opts.lang ?? 'en';
  const methods = opts.methods ?? [...LEARNING_METHODS];
  if (methods.length === 0) throw new UsageError('give at least one few-shot method');
  if (opts.testLimit !== undefined && !(Number.isInteger(opts.testLimit) && opts.testLimit > 0)) throw new UsageError(`test limit must be a positive whole number (got ${opts.testLimit})`);
  const features = parseFeatureSpec(opts.features, opts.modelDir);
  const set = loadFewShotSet(opts.dataset, lang, opts.task);
  const C = set.labels.length;
  let test = set.test;
  if (opts.testLimit !== undefined && opts.testLimit < test.length) {
    const idx = shuffleInPlace(test.map((_, i) => i), createRng(12345)).slice(0, opts.testLimit).sort((a, b) => a - b);
    test = idx.map((i) => test[i]);
  }
  // Only the training images some support set can use: the first max(shots) of each class in every seed's draw.
  const trainY = set.train.map((x) => x.label);
  const maxShots = Math.max(...opts.shots);
  const needed = new Set<number>();
  for (let seed = 0; seed < opts.seeds; seed++) for (const i of sampleSupport(trainY, C, maxShots, seed)) needed.add(i);
  const pool = [...needed].sort((a, b) => a - b);

  const t0 = Date.now();
  const cache = new EmbeddingCache(encoder, set.dataset, { disk: opts.diskCache });
  const batch = { batchSize: opts.batchSize, quiet: opts.quiet };
  const trainVecs = await cache.get(pool.map((i) => set.train[i]), { ...batch, label: `${set.name} train` });
  const testVecs = await cache.get(test, { ...batch, label: `${set.name} test` });
  const templates = promptTemplates(set.domain, lang);
  const zs = await zeroShotClassifier(encoder, set.labels, templates, lang, { ...batch, label: 'class prompts' });
  const tower = features.kind === 'tower'
    ? await towerFeatureRows(features, set.dataset, pool.map((i) => set.train[i]), test, { ...batch, label: set.name, disk: opts.diskCache })
    : null;
  const embedSeconds = (Date.now() - t0) / 1000;

  // The core draws support sets from the full train list with the same seeds, so it only ever picks pool rows.
  const embTrain = normalizeRows(stack(expand(trainVecs, pool, set.train.length, encoder.dim), encoder.dim));
  const embTest = normalizeRows(stack(testVecs, encoder.dim));
  const core = runFewShotCore(
    {
      classes: C,
      trainX: tower ? stack(expand(tower.train, pool, set.train.length, tower.dim), tower.dim) : embTrain,
      trainY,
      testX: tower ? stack(tower.test, tower.dim) : embTest,
      testY: test.map((x) => x.label),
      zeroShot: stack(zs.weights, encoder.dim),
      ...(tower ? { zeroShotX: { train: embTrain, test: embTest } } : {}),
    },
    { shots: opts.shots, seeds: opts.seeds, methods, onRun: opts.quiet ? undefined : (m) => log(`${set.name}: ${m}`) },
  );
  const shots = [...new Set(opts.shots)].sort((a, b) => a - b);
  const best = shots.map((k) => {
    const [method, accuracy] = methods
      .map((m) => [m, core.curves[m]?.find((p) => p.shots === k)?.accuracy.mean ?? -1] as const)
      .reduce((a, b) => (b[1] > a[1] ? b : a));
    return { shots: k, method, accuracy };
  });
  return {
    task: 'fewshot',
    name: set.name,
    dataset: set.dataset,
    medpix_task: set.task,
    model: encoder.id,
    lang,
    labels: set.labels,
    names: set.names,
    chance: 1 / C,
    n_test: test.length,
    n_train_pool: set.train.length,
    train_per_class: set.labels.map((_, c) => trainY.filter((y) => y === c).length),
    shots,
    seeds: opts.seeds,
    methods,
    features: featureSpecName(features),
    templates,
    test_limit: opts.testLimit ?? null,
    ...core,
    best,
    top_confusions: core.confusion ? topConfusions(core.confusion.matrix, set.names, 10) : [],
    embed_seconds: embedSeconds,
    seconds: (Date.now() - start) / 1000,
  };
}

/**
 * Embeddings of the pool placed at their train indices; rows never drawn stay zero (never selected,
 * because the core draws with the same seeds and shots as the pool was built from).
 */
function expand(vecs: Float32Array[], pool: number[], n: number, dim: number): Float32Array[] {
  const zero = new Float32Array(dim);
  const out: Float32Array[] = new Array(n).fill(zero);
  pool.forEach((i, k) => (out[i] = vecs[k]));
  return out;
}
