import { join, resolve } from 'node:path';
import { preprocessBatch } from '../image/preprocess.js';
import type { ImageInput } from '../image/types.js';
import type { LoadedVlm } from '../model/checkpoint.js';
import type { Detector, DetectorKind } from '../model/detector.js';
import { openImageHead } from '../model/head-runner.js';
import { imageInputKey } from '../model/config.js';
import { flipNhwc } from '../model/image-tower-onnx.js';
import type { TowerId } from '../model/image-tower.js';
import { readModelSource, type ModelSource } from '../model/model-source.js';
import { backendFromEnv, preferOnnx, type NativeBackend, type Runtime } from '../model/runtime-choice.js';
import { tensorToFloat32 } from '../model/safetensors.js';
import { openTower, type TowerRunner } from '../model/tower-runner.js';
import type { TokenIds } from '../model/vlm-model.js';
import { MixedTokenizer } from '../text/tokenizer.js';
import { VlmError } from '../util/errors.js';
import type { EmbedTextOptions, Encoder } from './encoder.js';

export type { NativeBackend, Runtime };

export interface NativeEncoderOptions {
  backend?: NativeBackend;
}

/** The native Encoder, plus which runtime each tower ended up on. */
export interface NativeEncoder extends Encoder {
  readonly runtimes: { image: Runtime; text: Runtime };
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

async function openTextTower({ config, tensors, cacheKey }: ModelSource, backend: NativeBackend, vlm: () => Promise<LoadedVlm>): Promise<TextRunner> {
  return preferOnnx<TextRunner>(
    'text tower',
    backend,
    async () => {
      const { loadOnnxTextTower } = await import('../model/text-tower-onnx.js');
      const t = await loadOnnxTextTower(config, tensors, { cacheKey });
      return { runtime: 'onnxruntime', batch: 32, embedTokenIds: (b) => t.embedTokenIds(b), dispose: () => t.dispose() };
    },
    async () => {
      const m = (await vlm()).model;
      return { runtime: 'tfjs', batch: 256, embedTokenIds: async (b) => m.embedTokenIds(b), dispose: () => {} };
    },
  );
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

/** Our own dual-encoder (models/default): frozen tower(s) and COCO detector -> trained image head; trained text Transformer. */
export async function loadNativeEncoder(dir: string, opts: NativeEncoderOptions = {}): Promise<NativeEncoder> {
  const backend = opts.backend ?? backendFromEnv();
  const source = readModelSource(dir);
  const { config, tensors } = source;
  // The id names the exact weights: adapters and library indexes made with other weights are refused.
  const id = `vlm:${config.name}@${source.sha.slice(0, 12)}`;
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
  const detectorKeys = new Map<DetectorKind, string[]>();
  for (const input of imageInputs) {
    if (input.source === 'detector') {
      detectorKeys.set(input.detector, [...(detectorKeys.get(input.detector) ?? []), input.key]);
      continue;
    }
    const entry = byTower.get(input.tower as TowerId) ?? { taps: [], keys: [] };
    entry.taps.push(input.tap);
    entry.keys.push(input.key);
    byTower.set(input.tower as TowerId, entry);
  }
  const towers = new Map<TowerId, TowerRunner>();
  for (const [id, { taps }] of byTower) towers.set(id, await openTower(id, taps, backend));
  const detectors = new Map<DetectorKind, { detector: Detector; row: (image: ImageInput) => Promise<Float32Array> }>();
  for (const kind of detectorKeys.keys()) {
    // Imported only for models that use a detector: it brings in tfjs, which towers on onnxruntime do not need.
    const { detectorFeatureRow, loadDetector } = await import('../model/detector-features.js');
    const detector = await loadDetector(kind, { backend });
    detectors.set(kind, { detector, row: (image) => detectorFeatureRow(detector, image) });
  }
  const flipTta = config.image.flip_tta;
  const logitScale = Math.exp(Math.min(tensorToFloat32(tensors.get('logit_scale')!, 'logit_scale')[0], Math.log(config.loss.logit_scale_max)));

  const IMAGE_BATCH = 32;

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
    for (const [kind, { row }] of detectors) {
      // The detector sees the whole image at its own resolution; its class evidence is mirror-invariant, so the
      // flipped view shares the row.
      const rows: Float32Array[] = [];
      for (const input of inputs) rows.push(await row(input));
      for (const key of detectorKeys.get(kind)!) feats[key] = flipped[key] = rows;
    }
    return { feats, flipped: flipTta ? flipped : undefined };
  }

  const imageOnOrt = head.runtime === 'onnxruntime' && [...towers.values()].every((t) => t.runtime === 'onnxruntime');
  const runtimes = { image: imageOnOrt ? 'onnxruntime' : 'tfjs', text: text.runtime } as const;
  return {
    id,
    modelDir: resolve(dir),
    dim: config.embed_dim,
    logitScale,
    runtimes,
    // one tower and nothing else: every image goes through exactly this resize (several towers would each need their
    // own, and a detector wants the full-resolution image)
    ...(towers.size === 1 && detectors.size === 0 ? { imagePreprocess: [...towers.values()][0].preprocess } : {}),
    async embedImages(inputs) {
      const out: Float32Array[] = [];
      // Bounded batches: tower activations grow with the batch (1,000 images in one call took 16 GB).
      for (let i = 0; i < inputs.length; i += IMAGE_BATCH) {
        const { feats, flipped } = await features(inputs.slice(i, i + IMAGE_BATCH));
        out.push(...(await head.embed(feats, flipped)));
      }
      return out;
    },
    // The mixed tokenizer handles English and Chinese in one vocabulary: lang is advisory.
    async embedTexts(texts: string[], _opts: EmbedTextOptions = {}) {
      if (texts.length === 0) return [];
      return embedTextsBatched(tokenizer, config.text.max_length, texts, text);
    },
    async dispose() {
      for (const t of towers.values()) await t.dispose();
      for (const d of detectors.values()) d.detector.dispose();
      await text.dispose();
      await head.dispose();
      if (vlmP) (await vlmP).dispose();
    },
  };
}
