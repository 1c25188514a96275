import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { preprocessBatch } from '../image/preprocess.js';
import type { ImageInput } from '../image/types.js';
import type { LoadedVlm } from '../model/checkpoint.js';
import { imageInputKey, readModelConfig, type ModelConfig } from '../model/config.js';
import { loadOnnxImageTower, flipNhwc } from '../model/image-tower-onnx.js';
import { loadImageTower, parseTowerId, type TowerId } from '../model/image-tower.js';
import { decodeSafetensors, tensorToFloat32, type SafeTensor } from '../model/safetensors.js';
import type { TokenIds } from '../model/vlm-model.js';
import { MixedTokenizer } from '../text/tokenizer.js';
import { UsageError, VlmError } from '../util/errors.js';
import { log } from '../util/log.js';
import type { EmbedTextOptions, Encoder } from './encoder.js';

/**
 * Which runtime runs the towers: 'auto' = onnxruntime where it loads, else tfjs-wasm (the default);
 * 'onnxruntime' = fail rather than fall back; 'tfjs' = tfjs-wasm only ($VLM_TOWER_BACKEND=tfjs).
 */
export type NativeBackend = 'auto' | 'onnxruntime' | 'tfjs';
export type Runtime = 'onnxruntime' | 'tfjs';

export interface NativeEncoderOptions {
  backend?: NativeBackend;
}

/** The native Encoder, plus which runtime each tower ended up on. */
export interface NativeEncoder extends Encoder {
  readonly runtimes: { image: Runtime; text: Runtime };
}

function backendFromEnv(): NativeBackend {
  const v = process.env.VLM_TOWER_BACKEND;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'tfjs' || v === 'onnxruntime') return v;
  throw new UsageError(`VLM_TOWER_BACKEND=${v} is not one of auto, onnxruntime, tfjs`);
}

/** Runs one frozen tower on preprocessed NHWC pixels and returns the requested taps. */
interface TowerRunner {
  runtime: Runtime;
  preprocess: Parameters<typeof preprocessBatch>[1];
  size: number;
  run(pixels: Float32Array, n: number): Promise<Record<string, Float32Array[]>>;
  dispose(): Promise<void> | void;
}

/**
 * The fastest available path for a tower: onnxruntime (native, all cores; the ONNX graph is exported from the
 * nsfwjs weights on first use), falling back to tfjs-wasm when onnxruntime cannot be used here.
 */
async function openTower(id: TowerId, taps: string[], backend: NativeBackend): Promise<TowerRunner> {
  const { name, inputRange } = parseTowerId(id);
  const size = name === 'inception_v3' ? 299 : 224;
  const preprocess: TowerRunner['preprocess'] = { width: size, height: size, resize: 'squash', scale: 1 / 255, layout: 'nhwc' };
  if (inputRange === 'signed') Object.assign(preprocess, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  if (backend !== 'tfjs') {
    try {
      const t = await loadOnnxImageTower(id, taps, { threads: 0 });
      return { runtime: 'onnxruntime', preprocess, size, run: (p, n) => t.features(p, n), dispose: () => t.dispose() };
    } catch (err) {
      if (backend === 'onnxruntime') throw err;
      log(`vlm: onnxruntime image tower unavailable (${(err as Error).message}); using tfjs-wasm`);
    }
  }
  const t = await loadImageTower(id);
  const { tf } = await import('../model/tf.js');
  return {
    runtime: 'tfjs',
    preprocess: t.preprocess,
    size,
    async run(pixels, n) {
      const x = tf.tensor4d(pixels, [n, size, size, 3]);
      try {
        return await t.features(x, taps);
      } finally {
        x.dispose();
      }
    },
    dispose: () => t.dispose(),
  };
}

/** The token table's name in model.safetensors (checkpoint.ts TOKEN_TABLE; that module loads tfjs, so not imported here). */
const TOKEN_TABLE = 'text.token_embedding';

/** The text tower on a padded batch of token ids -> L2-normalised embeddings. */
interface TextRunner {
  runtime: Runtime;
  /** Captions per call: small batches of similar length pad least (onnxruntime); tfjs pays per op, so it wants big ones. */
  batch: number;
  embedTokenIds(batch: TokenIds): Promise<Float32Array[]>;
  dispose(): Promise<void> | void;
}

/** Weights + config: what the converted graphs of a model depend on (their cache key). */
interface ModelSource {
  config: ModelConfig;
  tensors: Map<string, SafeTensor>;
  cacheKey: string;
}

async function openTextTower({ config, tensors, cacheKey }: ModelSource, backend: NativeBackend, vlm: () => Promise<LoadedVlm>): Promise<TextRunner> {
  if (backend !== 'tfjs') {
    try {
      const { loadOnnxTextTower } = await import('../model/text-tower-onnx.js');
      const t = await loadOnnxTextTower(config, tensors, { cacheKey });
      return { runtime: 'onnxruntime', batch: 32, embedTokenIds: (b) => t.embedTokenIds(b), dispose: () => t.dispose() };
    } catch (err) {
      if (backend === 'onnxruntime') throw err;
      log(`vlm: onnxruntime text tower unavailable (${(err as Error).message}); using tfjs-wasm`);
    }
  }
  const m = (await vlm()).model;
  return { runtime: 'tfjs', batch: 256, embedTokenIds: async (b) => m.embedTokenIds(b), dispose: () => {} };
}

/** The trainable image head over tower features (record key -> one vector per image) -> L2-normalised embeddings. */
interface HeadRunner {
  runtime: Runtime;
  /** With `flipped` (config.image.flip_tta), the embeddings of the image and its mirror are averaged and re-normalised. */
  embed(feats: Record<string, Float32Array[]>, flipped?: Record<string, Float32Array[]>): Promise<Float32Array[]>;
  dispose(): Promise<void> | void;
}

async function openImageHead({ config, tensors, cacheKey }: ModelSource, backend: NativeBackend, vlm: () => Promise<LoadedVlm>): Promise<HeadRunner> {
  if (backend !== 'tfjs') {
    try {
      const { loadOnnxImageHead } = await import('../model/image-head-onnx.js');
      const h = await loadOnnxImageHead(config, tensors, { cacheKey });
      const keys = config.image.inputs.map(imageInputKey);
      const run = (feats: Record<string, Float32Array[]>): Promise<Float32Array[]> => {
        const n = feats[keys[0]]?.length ?? 0;
        const mats = keys.map((k, i) => {
          const list = feats[k];
          const d = config.image.inputs[i].dim;
          if (!list || list.length !== n) throw new VlmError(`image features "${k}" missing or not for ${n} images`);
          const m = new Float32Array(n * d);
          list.forEach((v, r) => m.set(v, r * d));
          return m;
        });
        return h.embedFeatureMatrices(mats, n);
      };
      return {
        runtime: 'onnxruntime',
        async embed(feats, flipped) {
          const a = await run(feats);
          return flipped ? averageRenormalised(a, await run(flipped)) : a;
        },
        dispose: () => h.dispose(),
      };
    } catch (err) {
      if (backend === 'onnxruntime') throw err;
      log(`vlm: onnxruntime image head unavailable (${(err as Error).message}); using tfjs-wasm`);
    }
  }
  const m = await vlm();
  return { runtime: 'tfjs', embed: async (feats, flipped) => m.embedImageFeatures(feats, { flipped }), dispose: () => {} };
}

/** (a + b) / |a + b| row by row (flip test-time augmentation, as LoadedVlm.embedImageFeatures does it). */
function averageRenormalised(a: Float32Array[], b: Float32Array[]): Float32Array[] {
  return a.map((v, i) => {
    const o = new Float32Array(v.length);
    let s = 0;
    for (let j = 0; j < v.length; j++) s += (o[j] = v[j] + b[i][j]) ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < v.length; j++) o[j] *= inv;
    return o;
  });
}

/** Tokenise, group captions of similar length into batches (little padding), embed, return in input order. */
async function embedTextsBatched(tokenizer: MixedTokenizer, maxLength: number, texts: string[], text: TextRunner): Promise<Float32Array[]> {
  const encoded = texts.map((t) => tokenizer.encode(t, { maxLength }));
  const order = encoded.map((_, i) => i).sort((x, y) => encoded[x].length - encoded[y].length);
  const out = new Array<Float32Array>(texts.length);
  for (let start = 0; start < order.length; start += text.batch) {
    const idx = order.slice(start, start + text.batch);
    const T = encoded[idx[idx.length - 1]].length;
    const ids = new Int32Array(idx.length * T);
    const mask = new Float32Array(idx.length * T);
    idx.forEach((i, r) => {
      ids.set(encoded[i], r * T);
      mask.fill(1, r * T, r * T + encoded[i].length);
    });
    (await text.embedTokenIds({ ids, mask, length: T })).forEach((e, r) => (out[idx[r]] = e));
  }
  return out;
}

/** Our own dual-encoder (models/default): frozen tower(s) -> trained image head; trained text Transformer. */
export async function loadNativeEncoder(dir: string, opts: NativeEncoderOptions = {}): Promise<NativeEncoder> {
  const backend = opts.backend ?? backendFromEnv();
  const config = readModelConfig(join(dir, 'config.json'));
  const weightsFile = join(dir, 'model.safetensors');
  const bytes = readFileSync(weightsFile);
  // The id names the exact weights: adapters and library indexes made with other weights are refused.
  const sha = createHash('sha256').update(bytes).digest('hex');
  const id = `vlm:${config.name}@${sha.slice(0, 12)}`;
  const { tensors } = decodeSafetensors(bytes, weightsFile);
  const source: ModelSource = { config, tensors, cacheKey: createHash('sha256').update(sha).update(JSON.stringify(config)).digest('hex').slice(0, 16) };
  // tfjs (image head; text tower fallback) is loaded once, and only when something needs it.
  let vlmP: Promise<LoadedVlm> | undefined;
  const loadVlm = (): Promise<LoadedVlm> => (vlmP ??= import('../model/checkpoint.js').then((m) => m.loadVlmModel(dir)));

  const tokenizer = MixedTokenizer.fromFile(join(dir, config.text.tokenizer));
  const rows = tensors.get(TOKEN_TABLE)?.shape[0];
  if (tokenizer.vocabSize !== rows) throw new VlmError(`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the weights have ${rows} embedding rows`);
  if (backend === 'tfjs') await loadVlm(); // fail early, as the other backends do

  const text = await openTextTower(source, backend, loadVlm);
  const head = await openImageHead(source, backend, loadVlm);
  const imageInputs = config.image.inputs.map((s) => ({ ...s, key: imageInputKey(s) }));
  const byTower = new Map<TowerId, { taps: string[]; keys: string[] }>();
  for (const input of imageInputs) {
    if (input.source !== 'tower') throw new VlmError(`${dir}: image input "${input.key}" (${input.source}) is not supported by the native encoder`);
    const entry = byTower.get(input.tower as TowerId) ?? { taps: [], keys: [] };
    entry.taps.push(input.tap);
    entry.keys.push(input.key);
    byTower.set(input.tower as TowerId, entry);
  }
  const towers = new Map<TowerId, TowerRunner>();
  for (const [id, { taps }] of byTower) towers.set(id, await openTower(id, taps, backend));
  const flipTta = config.image.flip_tta;
  const logitScale = Math.exp(Math.min(tensorToFloat32(tensors.get('logit_scale')!, 'logit_scale')[0], Math.log(config.loss.logit_scale_max)));

  async function features(inputs: ImageInput[]): Promise<{ feats: Record<string, Float32Array[]>; flipped?: Record<string, Float32Array[]> }> {
    const feats: Record<string, Float32Array[]> = {};
    const flipped: Record<string, Float32Array[]> = {};
    for (const [id, tower] of towers) {
      const { taps, keys } = byTower.get(id)!;
      const pixels = await preprocessBatch(inputs, tower.preprocess);
      const a = await tower.run(pixels, inputs.length);
      taps.forEach((tap, i) => (feats[keys[i]] = a[tap].map((r) => Float32Array.from(r))));
      if (flipTta) {
        const b = await tower.run(flipNhwc(pixels, inputs.length, tower.size, tower.size), inputs.length);
        taps.forEach((tap, i) => (flipped[keys[i]] = b[tap].map((r) => Float32Array.from(r))));
      }
    }
    return { feats, flipped: flipTta ? flipped : undefined };
  }

  const imageOnOrt = head.runtime === 'onnxruntime' && [...towers.values()].every((t) => t.runtime === 'onnxruntime');
  const runtimes = { image: imageOnOrt ? 'onnxruntime' : 'tfjs', text: text.runtime } as const;
  return {
    id,
    dim: config.embed_dim,
    logitScale,
    runtimes,
    // one tower: every image goes through exactly this resize (several towers would each need their own)
    ...(towers.size === 1 ? { imagePreprocess: [...towers.values()][0].preprocess } : {}),
    async embedImages(inputs) {
      if (inputs.length === 0) return [];
      const { feats, flipped } = await features(inputs);
      return head.embed(feats, flipped);
    },
    // The mixed tokenizer handles English and Chinese in one vocabulary: lang is advisory.
    async embedTexts(texts: string[], _opts: EmbedTextOptions = {}) {
      if (texts.length === 0) return [];
      return embedTextsBatched(tokenizer, config.text.max_length, texts, text);
    },
    async dispose() {
      for (const t of towers.values()) await t.dispose();
      await text.dispose();
      await head.dispose();
      if (vlmP) (await vlmP).dispose();
    },
  };
}
