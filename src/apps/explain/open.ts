import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Encoder } from '../../encoders/encoder.js';
import { defaultModelDir } from '../../util/paths.js';
import { loadDenseExplainer, type DenseExplainer } from './dense.js';

/** True when `dir` is a native model folder whose weights are the ones Encoder.id names. */
function holdsWeightsOf(encoder: Encoder, dir: string): boolean {
  const weights = join(dir, 'model.safetensors');
  if (existsSync(join(dir, 'onnx')) || !existsSync(weights)) return false;
  const digest = createHash('sha256').update(readFileSync(weights)).digest('hex').slice(0, 12);
  return encoder.id.endsWith(`@${digest}`);
}

/**
 * The dense explainer for an encoder, when the encoder is our own model loaded from `modelDir` (default: the folder
 * the encoder says it was loaded from, e.g. models/coco for `vlm serve --model coco`, else the shipped default
 * model). The weights' digest in Encoder.id must match the folder's, so a heatmap never comes from other weights
 * than the similarity it explains; undefined otherwise (use occlusion).
 */
export async function explainerFor(encoder: Encoder, modelDir?: string): Promise<DenseExplainer | undefined> {
  if (!encoder.id.startsWith('vlm:')) return undefined;
  const dir = resolve(modelDir ?? encoder.modelDir ?? defaultModelDir);
  return holdsWeightsOf(encoder, dir) ? loadDenseExplainer(dir) : undefined;
}
