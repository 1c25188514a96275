import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MixedTokenizer } from '../text/tokenizer.js';
import { VlmError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { imageInputKey, readModelConfig, type ImageInputSpec, type ModelConfig } from './config.js';
import { fromFloat16, readSafetensors, toFloat16, writeSafetensors, type SafeTensor } from './safetensors.js';
import { initTf } from './tf.js';
import { TokenEmbedding } from './token-embedding.js';
import { VlmModel } from './vlm-model.js';

/**
 * A model folder (DESIGN.md §2): config.json, model.safetensors (all weights, the token table possibly
 * as F16), tokenizer.json, MODEL_CARD.md. Loading reproduces the saved tensors bit for bit.
 */
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const MODEL_CARD_FILE = 'MODEL_CARD.md';
export const TOKEN_TABLE = 'text.token_embedding';

/** Round the token table to the precision it will be stored in, so the in-memory model equals the saved one. */
export function roundTokenTableForStorage(model: VlmModel): void {
  if (model.config.text.embedding_dtype === 'F16') model.embedding.data.set(fromFloat16(toFloat16(model.embedding.data)));
}

export function modelTensors(model: VlmModel): Map<string, SafeTensor> {
  const tensors = model.params.toSafeTensors();
  const emb = model.embedding;
  tensors.set(
    TOKEN_TABLE,
    model.config.text.embedding_dtype === 'F16'
      ? { dtype: 'F16', shape: [emb.rows, emb.dim], data: toFloat16(emb.data) }
      : { dtype: 'F32', shape: [emb.rows, emb.dim], data: emb.data.slice() },
  );
  return tensors;
}

/** Write a model folder (files replaced atomically). An existing MODEL_CARD.md is kept; otherwise a placeholder is written. */
export function saveVlmModel(model: VlmModel, tokenizer: MixedTokenizer, dir: string): void {
  writeSafetensors(join(dir, WEIGHTS_FILE), modelTensors(model), { format: 'vlm-dual-encoder/1' });
  writeFileAtomic(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify({ ...model.config, text: { ...model.config.text, tokenizer: 'tokenizer.json' } }, null, 2) + '\n');
  const card = join(dir, MODEL_CARD_FILE);
  if (!existsSync(card)) {
    writeFileAtomic(card, `# ${model.config.name}\n\n${model.config.description ?? ''}\n\nMeasured numbers are written here by the model-card generator (src/eval).\n`);
  }
}

/** Rebuild a VlmModel from a folder's config.json + model.safetensors (no tokenizer). */
export async function loadModelWeights(dir: string, config?: ModelConfig): Promise<VlmModel> {
  await initTf();
  const cfg = config ?? readModelConfig(join(dir, CONFIG_FILE));
  const file = join(dir, WEIGHTS_FILE);
  const { tensors } = readSafetensors(file);
  const table = tensors.get(TOKEN_TABLE);
  if (!table || table.shape.length !== 2) throw new VlmError(`${file} lacks the token table "${TOKEN_TABLE}"`);
  const [rows, dim] = table.shape;
  const data = table.dtype === 'F16' ? fromFloat16(table.data as Uint16Array) : (table.data as Float32Array);
  // Parameters are created with throwaway values and then overwritten from the file.
  const model = new VlmModel(cfg, new TokenEmbedding(rows, dim, data), () => 0.5);
  try {
    model.params.load(tensors, file);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** What the native Encoder (src/encoders/native.ts) calls. */
export interface LoadedVlm {
  config: ModelConfig;
  tokenizer: MixedTokenizer;
  model: VlmModel;
  /** Embedding dimension (config.embed_dim). */
  dim: number;
  /** The frozen features the image head eats, in order; `key` is the record key embedImageFeatures expects. */
  imageInputs: (ImageInputSpec & { key: string })[];
  /**
   * L2-normalised image embeddings from frozen features: feats[key][i] is image i's feature vector for input `key`.
   * With config.image.flip_tta and `flipped` given (same layout, features of the mirrored images), the two
   * embeddings are averaged and re-normalised.
   */
  embedImageFeatures(feats: Record<string, Float32Array[]>, opts?: { flipped?: Record<string, Float32Array[]> }): Float32Array[];
  /** L2-normalised text embeddings; the mixed tokenizer handles English and Chinese in one vocabulary (lang is advisory). */
  embedTexts(texts: string[], lang?: 'en' | 'zh'): Float32Array[];
  dispose(): void;
}

const TEXT_BATCH = 256;
const IMAGE_BATCH = 512;

export async function loadVlmModel(dir: string): Promise<LoadedVlm> {
  if (!existsSync(join(dir, CONFIG_FILE))) throw new VlmError(`${dir} is not a model folder (no ${CONFIG_FILE})`);
  const config = readModelConfig(join(dir, CONFIG_FILE));
  const tokPath = join(dir, config.text.tokenizer);
  const tokenizer = MixedTokenizer.fromFile(tokPath);
  const model = await loadModelWeights(dir, config);
  if (tokenizer.vocabSize !== model.embedding.rows) {
    model.dispose();
    throw new VlmError(`${tokPath} has ${tokenizer.vocabSize} tokens but the weights have ${model.embedding.rows} embedding rows`);
  }
  return wrapModel(model, tokenizer);
}

/** The inference API over an in-memory model (also used by training to evaluate on dev). */
export function wrapModel(model: VlmModel, tokenizer: MixedTokenizer): LoadedVlm {
  const config = model.config;
  const imageInputs = config.image.inputs.map((s) => ({ ...s, key: imageInputKey(s) }));

  function embedFeatureSet(feats: Record<string, Float32Array[]>): Float32Array[] {
    const lists = imageInputs.map((s) => {
      const list = feats[s.key];
      if (!list) throw new VlmError(`missing image features "${s.key}" (the model needs ${imageInputs.map((i) => i.key).join(', ')})`);
      return list;
    });
    const n = lists[0].length;
    lists.forEach((l, i) => {
      if (l.length !== n) throw new VlmError(`image features "${imageInputs[i].key}" cover ${l.length} images, "${imageInputs[0].key}" ${n}`);
    });
    const out: Float32Array[] = [];
    for (let start = 0; start < n; start += IMAGE_BATCH) {
      const m = Math.min(IMAGE_BATCH, n - start);
      const mats = lists.map((l, i) => {
        const d = imageInputs[i].dim;
        const mat = new Float32Array(m * d);
        for (let r = 0; r < m; r++) {
          const v = l[start + r];
          if (v.length !== d) throw new VlmError(`image features "${imageInputs[i].key}" of image ${start + r} have ${v.length} values, expected ${d}`);
          mat.set(v, r * d);
        }
        return mat;
      });
      out.push(...model.embedFeatureMatrices(mats, m));
    }
    return out;
  }

  return {
    config,
    tokenizer,
    model,
    dim: config.embed_dim,
    imageInputs,
    embedImageFeatures(feats, opts = {}) {
      const a = embedFeatureSet(feats);
      if (!config.image.flip_tta || !opts.flipped) return a;
      const b = embedFeatureSet(opts.flipped);
      return a.map((v, i) => {
        const w = b[i];
        let s = 0;
        const o = new Float32Array(v.length);
        for (let j = 0; j < v.length; j++) s += (o[j] = v[j] + w[j]) ** 2;
        const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
        for (let j = 0; j < v.length; j++) o[j] *= inv;
        return o;
      });
    },
    embedTexts(texts) {
      // Sort by token length so each batch pads little; results go back in input order.
      const encoded = texts.map((t) => tokenizer.encode(t, { maxLength: config.text.max_length }));
      const order = encoded.map((_, i) => i).sort((x, y) => encoded[x].length - encoded[y].length);
      const out = new Array<Float32Array>(texts.length);
      for (let start = 0; start < order.length; start += TEXT_BATCH) {
        const idx = order.slice(start, start + TEXT_BATCH);
        const T = Math.max(...idx.map((i) => encoded[i].length));
        const ids = new Int32Array(idx.length * T);
        const mask = new Float32Array(idx.length * T);
        idx.forEach((i, r) => {
          ids.set(encoded[i], r * T);
          mask.fill(1, r * T, r * T + encoded[i].length);
        });
        model.embedTokenIds({ ids, mask, length: T }).forEach((e, r) => (out[idx[r]] = e));
      }
      return out;
    },
    dispose() {
      model.dispose();
    },
  };
}

/** Read a folder's config without loading weights (e.g. for the CLI to decide which towers to run). */
export function readModelFolderConfig(dir: string): ModelConfig {
  return readModelConfig(join(dir, CONFIG_FILE));
}

export function readModelCard(dir: string): string | undefined {
  const p = join(dir, MODEL_CARD_FILE);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}
