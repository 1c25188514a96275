import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { preprocessBatch } from '../image/preprocess.js';
import type { ImageInput } from '../image/types.js';
import { loadVlmModel, type LoadedVlm } from '../model/checkpoint.js';
import type { ImageInputSpec } from '../model/config.js';
import { loadOnnxImageTower, flipNhwc } from '../model/image-tower-onnx.js';
import { loadImageTower, parseTowerId, type TowerId } from '../model/image-tower.js';
import { VlmError } from '../util/errors.js';
import { log } from '../util/log.js';
import type { EmbedTextOptions, Encoder } from './encoder.js';

/** Runs one frozen tower on preprocessed NHWC pixels and returns the requested taps. */
interface TowerRunner {
  preprocess: Parameters<typeof preprocessBatch>[1];
  size: number;
  run(pixels: Float32Array, n: number): Promise<Record<string, Float32Array[]>>;
  dispose(): Promise<void> | void;
}

/**
 * The fastest available path for a tower: onnxruntime (native, all cores; the ONNX graph is exported from the
 * nsfwjs weights on first use), falling back to tfjs-wasm when onnxruntime cannot be used here.
 */
async function openTower(id: TowerId, taps: string[]): Promise<TowerRunner> {
  const { name, inputRange } = parseTowerId(id);
  const size = name === 'inception_v3' ? 299 : 224;
  const preprocess: TowerRunner['preprocess'] = { width: size, height: size, resize: 'squash', scale: 1 / 255, layout: 'nhwc' };
  if (inputRange === 'signed') Object.assign(preprocess, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  if (process.env.VLM_TOWER_BACKEND !== 'tfjs') {
    try {
      const t = await loadOnnxImageTower(id, taps, { threads: 0 });
      return { preprocess, size, run: (p, n) => t.features(p, n), dispose: () => t.dispose() };
    } catch (err) {
      log(`vlm: onnxruntime tower unavailable (${(err as Error).message}); using tfjs-wasm`);
    }
  }
  const t = await loadImageTower(id);
  const { tf } = await import('../model/tf.js');
  return {
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

/** Our own dual-encoder (models/default): frozen tower(s) -> trained image head; trained text Transformer. */
export async function loadNativeEncoder(dir: string): Promise<Encoder> {
  const vlm: LoadedVlm = await loadVlmModel(dir);
  const byTower = new Map<TowerId, { taps: string[]; keys: string[] }>();
  for (const input of vlm.imageInputs as (ImageInputSpec & { key: string })[]) {
    if (input.source !== 'tower') throw new VlmError(`${dir}: image input "${input.key}" (${input.source}) is not supported by the native encoder`);
    const entry = byTower.get(input.tower as TowerId) ?? { taps: [], keys: [] };
    entry.taps.push(input.tap);
    entry.keys.push(input.key);
    byTower.set(input.tower as TowerId, entry);
  }
  const towers = new Map<TowerId, TowerRunner>();
  for (const [id, { taps }] of byTower) towers.set(id, await openTower(id, taps));
  const flipTta = vlm.config.image.flip_tta;
  // The id names the exact weights: adapters and library indexes made with other weights are refused.
  const digest = createHash('sha256').update(readFileSync(join(dir, 'model.safetensors'))).digest('hex').slice(0, 12);
  const id = `vlm:${vlm.config.name}@${digest}`;
  const logitScale = vlm.model.logitScale().dataSync()[0];

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

  return {
    id,
    dim: vlm.dim,
    logitScale,
    async embedImages(inputs) {
      if (inputs.length === 0) return [];
      const { feats, flipped } = await features(inputs);
      return vlm.embedImageFeatures(feats, { flipped });
    },
    async embedTexts(texts: string[], opts: EmbedTextOptions = {}) {
      if (texts.length === 0) return [];
      return vlm.embedTexts(texts, opts.lang);
    },
    async dispose() {
      for (const t of towers.values()) await t.dispose();
      vlm.dispose();
    },
  };
}
