import { readFileSync } from 'node:fs';
import { UsageError, VlmError } from '../util/errors.js';

/**
 * The model config (`config.json` of a model folder, and the training recipes in configs/).
 * One JSON document says everything needed to rebuild the model: which frozen image features it eats,
 * the image head, the text Transformer, the shared space, the loss, and (for recipes) how it is trained.
 * Keys are snake_case because the file is meant to be read and edited by people.
 */
export const CONFIG_FORMAT = 'vlm-dual-encoder';

export type TowerName = 'mobilenet_v2' | 'mobilenet_v2_mid' | 'inception_v3';
export type DetectorName = 'centernet' | 'nanodet';

/**
 * Learned attention pooling of a spatial map tap (`<endpoint>_map`, rows of h*w*channels, NHWC): per head, a
 * learned query over its slice of the channels plus a learned per-location bias give softmax weights over the
 * locations. Both start at zero, so an untrained pool is exactly global average pooling.
 */
export interface AttentionPoolSpec {
  type: 'attention';
  heads: number;
  /** Channels per location (the pooled width the head sees); dim / channels locations. */
  channels: number;
}

/** One frozen feature vector per image, produced outside the trainable model and cached for training. */
export type ImageInputSpec =
  | { source: 'tower'; tower: TowerName; tap: string; dim: number; pool?: AttentionPoolSpec }
  | { source: 'detector'; detector: DetectorName; dim: number };

/** Width of an input as the head's MLP sees it (after pooling, if any). */
export function headInputDim(spec: ImageInputSpec): number {
  return spec.source === 'tower' && spec.pool ? spec.pool.channels : spec.dim;
}

export interface ImageHeadConfig {
  /** 'mlp': Linear-GELU-(Dropout)-Linear; 'linear': a single projection. */
  type: 'mlp' | 'linear';
  /** Hidden width of the MLP (ignored for linear). */
  hidden: number;
  /** Dropout on the (normalised, concatenated) input features during training. */
  input_dropout: number;
  /** Dropout after the hidden activation during training. */
  dropout: number;
  /**
   * Per-input feature normalisation before concatenation: 'standardize' with the train-split mean/std
   * (stored in the weights), 'l2' per input vector, 'none'.
   */
  input_norm: 'standardize' | 'l2' | 'none';
}

export interface ImageConfig {
  inputs: ImageInputSpec[];
  head: ImageHeadConfig;
  /** Average the embeddings of the image and its horizontal mirror at inference (both features must be given). */
  flip_tta: boolean;
  /** How each tower wants its pixels (informational for the encoder; the tower module owns the real spec). */
  preprocessing?: Record<string, unknown>;
}

export interface TextConfig {
  /** Tokenizer file name inside the model folder. */
  tokenizer: string;
  max_length: number;
  /** Width of the token embedding table (100 = the GloVe vectors it is initialised from). */
  word_dim: number;
  d_model: number;
  layers: number;
  heads: number;
  mlp_ratio: number;
  dropout: number;
  /** Dropout on the token embeddings during training. */
  embed_dropout: number;
  pooling: 'mean' | 'cls';
  /**
   * Which embedding rows train: 'all'; 'no_glove' freezes rows that start from a GloVe vector, so English words
   * never seen in training stay in the same space as the ones that were; 'none' freezes the table.
   */
  embedding_trainable: 'all' | 'no_glove' | 'none';
  /** Storage type of the embedding table in model.safetensors (F16 halves the model size). */
  embedding_dtype: 'F32' | 'F16';
}

export interface LossConfig {
  /** 'infonce': symmetric cross-entropy over the batch (CLIP); 'sigmoid': pairwise binary loss (SigLIP). */
  type: 'infonce' | 'sigmoid';
  /** Initial log of the logit scale (CLIP: log(1/0.07) = 2.659; SigLIP: log(10)). */
  logit_scale_init: number;
  /** The scale is clamped at this value (CLIP: 100). */
  logit_scale_max: number;
  learn_scale: boolean;
  /** Initial logit bias (sigmoid loss only; SigLIP: -10). */
  logit_bias_init: number;
}

/** AdamW with warmup + cosine and clipping: the optimiser settings every vlm training recipe shares. */
export interface OptimizerConfig {
  lr: number;
  weight_decay: number;
  beta1: number;
  beta2: number;
  warmup_steps: number;
  /** Final learning rate of the cosine schedule as a fraction of lr. */
  min_lr_ratio: number;
  /** Clip the global gradient norm at this value (0 = off). */
  grad_clip: number;
}

export interface TrainingConfig extends OptimizerConfig {
  dataset: 'flickr8k';
  /** Caption languages to train on (train split only). */
  langs: ('en' | 'zh')[];
  /** Use the cached features of the horizontally flipped image with probability 0.5 per sample. */
  flip_augment: boolean;
  /** Group captions of similar token length into batches (less padding: faster steps). */
  length_buckets: boolean;
  seed: number;
  batch_size: number;
  epochs: number;
  /** Stop (keeping the best checkpoint) when the wall time would exceed this. */
  max_minutes: number;
  /** Learning rate of the token embedding table (sparse AdamW). */
  lr_embeddings: number;
  /** Early stopping: epochs without a better dev mean recall. */
  patience: number;
  /** Dev languages the selection metric averages over. */
  eval_langs: ('en' | 'zh')[];
  /**
   * Optional step budget, stopping like max_minutes (whichever comes first): ablations compared at equal steps
   * are fair when the machine's load (and so the steps a wall-time budget buys) differs between runs.
   */
  max_steps?: number;
  /**
   * Optional: cached random-resized crop views (variants crop0..crop<n-1>, scripts/cache-features.ts --crops n)
   * join orig (and flip, with flip_augment) as views each sample picks from uniformly. Absent or 0 = off.
   */
  crop_views?: number;
}

export interface ModelConfig {
  format: typeof CONFIG_FORMAT;
  version: 1;
  name: string;
  description?: string;
  embed_dim: number;
  image: ImageConfig;
  text: TextConfig;
  loss: LossConfig;
  /** Present in recipes and in trained models (records how they were made). */
  training?: TrainingConfig;
}

export const DEFAULT_HEAD: ImageHeadConfig = { type: 'mlp', hidden: 1024, input_dropout: 0.2, dropout: 0.1, input_norm: 'standardize' };
export const DEFAULT_TEXT: TextConfig = {
  tokenizer: 'tokenizer.json', max_length: 32, word_dim: 100, d_model: 128, layers: 2, heads: 4, mlp_ratio: 4,
  dropout: 0.1, embed_dropout: 0.1, pooling: 'mean', embedding_trainable: 'all', embedding_dtype: 'F16',
};
export const DEFAULT_LOSS: LossConfig = { type: 'infonce', logit_scale_init: Math.log(1 / 0.07), logit_scale_max: 100, learn_scale: true, logit_bias_init: -10 };
export const DEFAULT_TRAINING: TrainingConfig = {
  dataset: 'flickr8k', langs: ['en', 'zh'], flip_augment: true, length_buckets: true, seed: 1, batch_size: 128, epochs: 20, max_minutes: 55,
  lr: 1e-3, lr_embeddings: 1e-3, weight_decay: 0.05, beta1: 0.9, beta2: 0.98, warmup_steps: 300, min_lr_ratio: 0.02,
  grad_clip: 1, patience: 3, eval_langs: ['en', 'zh'],
};

const TOWERS: TowerName[] = ['mobilenet_v2', 'mobilenet_v2_mid', 'inception_v3'];
const DETECTORS: DetectorName[] = ['centernet', 'nanodet'];

/** The key under which an input's features are passed to the model (embedImageFeatures) and cached. */
export function imageInputKey(spec: ImageInputSpec): string {
  return spec.source === 'tower' ? `${spec.tower}/${spec.tap}` : `detector/${spec.detector}`;
}

/** Collects every problem of a config, so one run shows them all. */
class Checker {
  readonly problems: string[] = [];
  constructor(private readonly obj: Record<string, unknown>, private readonly at: string, private readonly sink?: string[]) {}
  private add(msg: string): void {
    (this.sink ?? this.problems).push(msg);
  }
  sub(key: string): Checker | undefined {
    const v = this.obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.add(`${this.at}${key} must be an object`);
      return undefined;
    }
    return new Checker(v as Record<string, unknown>, `${this.at}${key}.`, this.sink ?? this.problems);
  }
  num(key: string, def: number | undefined, opts: { min?: number; max?: number; int?: boolean; gt?: number } = {}): number {
    const v = this.obj[key] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.add(`${this.at}${key} must be a number${v === undefined ? ' (missing)' : `, got ${JSON.stringify(v)}`}`);
      return NaN;
    }
    if (opts.int && !Number.isInteger(v)) this.add(`${this.at}${key} must be an integer, got ${v}`);
    if (opts.min !== undefined && v < opts.min) this.add(`${this.at}${key} must be >= ${opts.min}, got ${v}`);
    if (opts.gt !== undefined && v <= opts.gt) this.add(`${this.at}${key} must be > ${opts.gt}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) this.add(`${this.at}${key} must be <= ${opts.max}, got ${v}`);
    return v;
  }
  oneOf<T extends string>(key: string, def: T | undefined, allowed: readonly T[]): T {
    const v = this.obj[key] ?? def;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.add(`${this.at}${key} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}${v === undefined ? ' (missing)' : `, got ${JSON.stringify(v)}`}`);
    }
    return v as T;
  }
  str(key: string, def: string | undefined): string {
    const v = this.obj[key] ?? def;
    if (typeof v !== 'string' || v === '') this.add(`${this.at}${key} must be a non-empty string`);
    return v as string;
  }
  bool(key: string, def: boolean | undefined): boolean {
    const v = this.obj[key] ?? def;
    if (typeof v !== 'boolean') this.add(`${this.at}${key} must be true or false`);
    return v as boolean;
  }
  list<T extends string>(key: string, def: T[] | undefined, allowed: readonly T[]): T[] {
    const v = this.obj[key] ?? def;
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => allowed.includes(x as T))) {
      this.add(`${this.at}${key} must be a non-empty list of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
      return [];
    }
    return [...new Set(v as T[])];
  }
  fail(msg: string): void {
    this.add(`${this.at}${msg}`);
  }
  get(key: string): unknown {
    return this.obj[key];
  }
  unknownKeys(known: string[]): void {
    for (const k of Object.keys(this.obj)) if (!known.includes(k)) this.add(`${this.at}${k} is not a known setting (known: ${known.join(', ')})`);
  }
}

/**
 * Validate a parsed config, filling defaults for omitted optional settings. Throws one UsageError listing
 * every problem (with its JSON path), so a typo in a recipe is found before a 60-minute run starts.
 */
export function parseModelConfig(obj: unknown, source = 'config'): ModelConfig {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new UsageError(`${source}: a model config must be a JSON object`);
  const c = new Checker(obj as Record<string, unknown>, '');
  c.unknownKeys(['format', 'version', 'name', 'description', 'embed_dim', 'image', 'text', 'loss', 'training']);
  if (c.get('format') !== CONFIG_FORMAT) c.fail(`format must be "${CONFIG_FORMAT}"`);
  if (c.get('version') !== 1) c.fail('version must be 1');
  const name = c.str('name', undefined);
  const description = c.get('description');
  const embed_dim = c.num('embed_dim', undefined, { min: 1, int: true });

  const ic = c.sub('image');
  if (!ic) c.fail('image must be an object with inputs and head');
  const inputs: ImageInputSpec[] = [];
  const rawInputs = ic?.get('inputs');
  if (ic && (!Array.isArray(rawInputs) || rawInputs.length === 0)) ic.fail('inputs must be a non-empty list');
  if (ic && Array.isArray(rawInputs)) {
    rawInputs.forEach((r, i) => {
      const ck = new Checker((r ?? {}) as Record<string, unknown>, `image.inputs[${i}].`, c.problems);
      const src = ck.oneOf('source', undefined, ['tower', 'detector'] as const);
      const dim = ck.num('dim', undefined, { min: 1, int: true });
      if (src === 'tower') {
        ck.unknownKeys(['source', 'tower', 'tap', 'dim', 'pool']);
        const spec: Extract<ImageInputSpec, { source: 'tower' }> = { source: 'tower', tower: ck.oneOf('tower', undefined, TOWERS), tap: ck.str('tap', undefined), dim };
        const pc = ck.sub('pool');
        if (pc) {
          pc.unknownKeys(['type', 'heads', 'channels']);
          const pool: AttentionPoolSpec = { type: pc.oneOf('type', undefined, ['attention'] as const), heads: pc.num('heads', 1, { min: 1, int: true }), channels: pc.num('channels', undefined, { min: 1, int: true }) };
          if (!/_map$/.test(spec.tap)) pc.fail(`type: attention pools a spatial map tap (<endpoint>_map), not ${spec.tap}`);
          if (dim % pool.channels !== 0) pc.fail(`channels (${pool.channels}) must divide dim (${dim})`);
          if (pool.channels % pool.heads !== 0) pc.fail(`channels (${pool.channels}) must be divisible by heads (${pool.heads})`);
          spec.pool = pool;
        }
        inputs.push(spec);
      } else if (src === 'detector') {
        ck.unknownKeys(['source', 'detector', 'dim']);
        inputs.push({ source: 'detector', detector: ck.oneOf('detector', undefined, DETECTORS), dim });
      }
    });
    const keys = inputs.map(imageInputKey);
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup) c.fail(`image.inputs lists ${dup} twice`);
  }
  const hc = ic?.sub('head');
  hc?.unknownKeys(Object.keys(DEFAULT_HEAD));
  const hd = DEFAULT_HEAD;
  const head: ImageHeadConfig = {
    type: hc ? hc.oneOf('type', hd.type, ['mlp', 'linear'] as const) : hd.type,
    hidden: hc ? hc.num('hidden', hd.hidden, { min: 1, int: true }) : hd.hidden,
    input_dropout: hc ? hc.num('input_dropout', hd.input_dropout, { min: 0, max: 0.95 }) : hd.input_dropout,
    dropout: hc ? hc.num('dropout', hd.dropout, { min: 0, max: 0.95 }) : hd.dropout,
    input_norm: hc ? hc.oneOf('input_norm', hd.input_norm, ['standardize', 'l2', 'none'] as const) : hd.input_norm,
  };
  ic?.unknownKeys(['inputs', 'head', 'flip_tta', 'preprocessing']);
  const flip_tta = ic ? ic.bool('flip_tta', false) : false;
  const preprocessing = ic?.get('preprocessing') as Record<string, unknown> | undefined;

  const tc = c.sub('text');
  tc?.unknownKeys(Object.keys(DEFAULT_TEXT));
  const td = DEFAULT_TEXT;
  const t = tc ?? new Checker({}, 'text.', c.problems);
  const text: TextConfig = {
    tokenizer: t.str('tokenizer', td.tokenizer),
    max_length: t.num('max_length', td.max_length, { min: 2, max: 512, int: true }),
    word_dim: t.num('word_dim', td.word_dim, { min: 1, int: true }),
    d_model: t.num('d_model', td.d_model, { min: 1, int: true }),
    layers: t.num('layers', td.layers, { min: 0, max: 24, int: true }),
    heads: t.num('heads', td.heads, { min: 1, int: true }),
    mlp_ratio: t.num('mlp_ratio', td.mlp_ratio, { gt: 0 }),
    dropout: t.num('dropout', td.dropout, { min: 0, max: 0.95 }),
    embed_dropout: t.num('embed_dropout', td.embed_dropout, { min: 0, max: 0.95 }),
    pooling: t.oneOf('pooling', td.pooling, ['mean', 'cls'] as const),
    embedding_trainable: t.oneOf('embedding_trainable', td.embedding_trainable, ['all', 'no_glove', 'none'] as const),
    embedding_dtype: t.oneOf('embedding_dtype', td.embedding_dtype, ['F32', 'F16'] as const),
  };
  if (Number.isInteger(text.d_model) && Number.isInteger(text.heads) && text.d_model % text.heads !== 0) {
    c.fail(`text.d_model (${text.d_model}) must be divisible by text.heads (${text.heads})`);
  }

  const lc = c.sub('loss');
  lc?.unknownKeys(Object.keys(DEFAULT_LOSS));
  const ld = DEFAULT_LOSS;
  const l = lc ?? new Checker({}, 'loss.', c.problems);
  const loss: LossConfig = {
    type: l.oneOf('type', ld.type, ['infonce', 'sigmoid'] as const),
    logit_scale_init: l.num('logit_scale_init', ld.logit_scale_init),
    logit_scale_max: l.num('logit_scale_max', ld.logit_scale_max, { gt: 0 }),
    learn_scale: l.bool('learn_scale', ld.learn_scale),
    logit_bias_init: l.num('logit_bias_init', ld.logit_bias_init),
  };
  if (Math.exp(loss.logit_scale_init) > loss.logit_scale_max) c.fail(`loss.logit_scale_init exp(${loss.logit_scale_init}) exceeds logit_scale_max ${loss.logit_scale_max}`);

  let training: TrainingConfig | undefined;
  const rc = c.sub('training');
  if (rc) {
    rc.unknownKeys([...Object.keys(DEFAULT_TRAINING), 'max_steps', 'crop_views']);
    const d = DEFAULT_TRAINING;
    training = {
      dataset: rc.oneOf('dataset', d.dataset, ['flickr8k'] as const),
      langs: rc.list('langs', d.langs, ['en', 'zh'] as const),
      flip_augment: rc.bool('flip_augment', d.flip_augment),
      length_buckets: rc.bool('length_buckets', d.length_buckets),
      seed: rc.num('seed', d.seed, { min: 0, int: true }),
      batch_size: rc.num('batch_size', d.batch_size, { min: 2, int: true }),
      epochs: rc.num('epochs', d.epochs, { min: 1, int: true }),
      max_minutes: rc.num('max_minutes', d.max_minutes, { gt: 0 }),
      lr: rc.num('lr', d.lr, { gt: 0 }),
      lr_embeddings: rc.num('lr_embeddings', d.lr_embeddings, { min: 0 }),
      weight_decay: rc.num('weight_decay', d.weight_decay, { min: 0 }),
      beta1: rc.num('beta1', d.beta1, { min: 0, max: 0.9999 }),
      beta2: rc.num('beta2', d.beta2, { min: 0, max: 0.99999 }),
      warmup_steps: rc.num('warmup_steps', d.warmup_steps, { min: 0, int: true }),
      min_lr_ratio: rc.num('min_lr_ratio', d.min_lr_ratio, { min: 0, max: 1 }),
      grad_clip: rc.num('grad_clip', d.grad_clip, { min: 0 }),
      patience: rc.num('patience', d.patience, { min: 1, int: true }),
      eval_langs: rc.list('eval_langs', d.eval_langs, ['en', 'zh'] as const),
    };
    if (rc.get('max_steps') !== undefined) training.max_steps = rc.num('max_steps', undefined, { min: 1, int: true });
    // Only recorded when given, so configs without it (and their resumable-state key) stay byte-identical.
    if (rc.get('crop_views') !== undefined) training.crop_views = rc.num('crop_views', undefined, { min: 0, max: 16, int: true });
  }

  if (c.problems.length > 0) {
    throw new UsageError(`${source} is not a valid model config:\n  - ${c.problems.join('\n  - ')}`);
  }
  const cfg: ModelConfig = {
    format: CONFIG_FORMAT, version: 1, name,
    ...(typeof description === 'string' ? { description } : {}),
    embed_dim,
    image: { inputs, head, flip_tta, ...(preprocessing ? { preprocessing } : {}) },
    text, loss,
    ...(training ? { training } : {}),
  };
  return cfg;
}

export function readModelConfig(path: string): ModelConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new VlmError(`cannot read model config ${path}: ${(e as Error).message}`, { cause: e });
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`model config ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseModelConfig(obj, path);
}

/** Total input width of the image head's MLP (pooled inputs count with their pooled width). */
export function imageInputDim(cfg: ModelConfig): number {
  return cfg.image.inputs.reduce((a, s) => a + headInputDim(s), 0);
}
