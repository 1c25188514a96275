import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VlmError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { checkCaptionConfig, type CaptionDecoderConfig } from './caption-config.js';
import { defineCaptionDecoder } from './caption-decoder.js';
import { CaptionVocab } from './caption-vocab.js';
import { ParamSet, normalValues } from './params.js';
import { readSafetensors, tensorToFloat32, toFloat16, writeSafetensors, type SafeTensor } from './safetensors.js';
import { tf } from './tf.js';
import { TokenEmbedding } from './token-embedding.js';

export const CAPTION_CONFIG_FILE = 'caption.json';
export const CAPTION_WEIGHTS_FILE = 'caption.safetensors';
const TOKEN_TABLE = 'cap.token_embedding';

/** A caption decoder in memory: config, vocabulary, dense parameters (tfjs) and the token table (JS). */
export interface CaptionModel {
  config: CaptionDecoderConfig;
  vocab: CaptionVocab;
  params: ParamSet;
  embedding: TokenEmbedding;
  dispose(): void;
}

export function createCaptionModel(config: CaptionDecoderConfig, rng: () => number): CaptionModel {
  const vocab = new CaptionVocab(config.vocab);
  const params = new ParamSet();
  defineCaptionDecoder(params, config, vocab.size, rng);
  const embedding = new TokenEmbedding(vocab.size, config.d_model, normalValues(vocab.size * config.d_model, 0.02, rng));
  return { config, vocab, params, embedding, dispose: () => params.dispose() };
}

export function hasCaptionDecoder(dir: string): boolean {
  return existsSync(join(dir, CAPTION_CONFIG_FILE)) && existsSync(join(dir, CAPTION_WEIGHTS_FILE));
}

/** Write caption.json + caption.safetensors (weights as F16: half the size, no measurable change in captions). */
export function saveCaptionModel(model: CaptionModel, dir: string, extra: Partial<CaptionDecoderConfig> = {}): void {
  const t = new Map<string, SafeTensor>();
  for (const [name, v] of model.params.vars) t.set(name, { dtype: 'F16', shape: [...v.shape], data: toFloat16(v.dataSync() as Float32Array) });
  t.set(TOKEN_TABLE, { dtype: 'F16', shape: [model.embedding.rows, model.embedding.dim], data: toFloat16(model.embedding.data) });
  writeSafetensors(join(dir, CAPTION_WEIGHTS_FILE), t, { format: 'vlm-caption-decoder' });
  writeFileAtomic(join(dir, CAPTION_CONFIG_FILE), JSON.stringify({ ...model.config, ...extra }, null, 1) + '\n');
}

export function readCaptionConfig(dir: string): CaptionDecoderConfig {
  const path = join(dir, CAPTION_CONFIG_FILE);
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new VlmError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  return checkCaptionConfig(obj as Partial<CaptionDecoderConfig>, path);
}

/**
 * Load a model folder's caption decoder; a clear VlmError when the folder has none. `weights` names another weight
 * file of the same config in the folder (a member of caption.json's decode.ensemble).
 */
export async function loadCaptionModel(dir: string, weights = CAPTION_WEIGHTS_FILE): Promise<CaptionModel> {
  if (!hasCaptionDecoder(dir)) {
    throw new VlmError(`${dir} has no caption decoder (${CAPTION_CONFIG_FILE} + ${CAPTION_WEIGHTS_FILE}); train one with \`node dist/src/train/caption-run.js\` (docs/captions.md)`);
  }
  const { initTf } = await import('./tf.js');
  await initTf();
  const config = readCaptionConfig(dir);
  const model = createCaptionModel(config, () => 0.5);
  const path = join(dir, weights);
  if (!existsSync(path)) throw new VlmError(`${path} is missing (named by ${CAPTION_CONFIG_FILE})`);
  const { tensors } = readSafetensors(path);
  const table = tensors.get(TOKEN_TABLE);
  if (!table || table.shape.join(',') !== `${model.embedding.rows},${model.embedding.dim}`) {
    model.dispose();
    throw new VlmError(`${path}: token table missing or not [${model.embedding.rows}, ${model.embedding.dim}]`);
  }
  model.embedding.data.set(tensorToFloat32(table, TOKEN_TABLE));
  try {
    model.params.load(tensors, path);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/**
 * Copy the token table and every dense parameter of the same name and shape from one model into another
 * (best-epoch snapshots of one config; warm starts into a config with more parameters). Returns the names of the
 * target's parameters that had no counterpart and keep their values.
 */
export function copyCaptionWeights(from: CaptionModel, to: CaptionModel): string[] {
  const kept: string[] = [];
  for (const [name, v] of to.params.vars) {
    const src = from.params.vars.get(name);
    if (src && src.shape.join() === v.shape.join()) v.assign(src);
    else kept.push(name);
  }
  to.embedding.data.set(from.embedding.data);
  return kept;
}

export { tf };
