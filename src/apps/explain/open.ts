import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Encoder } from '../../encoders/encoder.js';
import { defaultModelDir } from '../../util/paths.js';
import { loadDenseExplainer, type DenseExplainer } from './dense.js';

/**
 * The dense explainer for an encoder, when the encoder is our own model loaded from `modelDir` (default:
 * the shipped model). The weights' digest in Encoder.id must match the folder's, so a heatmap never comes
 * from other weights than the similarity it explains; undefined otherwise (use occlusion).
 */
export async function explainerFor(encoder: Encoder, modelDir: string = defaultModelDir): Promise<DenseExplainer | undefined> {
  const dir = resolve(modelDir);
  const weights = join(dir, 'model.safetensors');
  if (!encoder.id.startsWith('vlm:') || existsSync(join(dir, 'onnx')) || !existsSync(weights)) return undefined;
  const digest = createHash('sha256').update(readFileSync(weights)).digest('hex').slice(0, 12);
  if (!encoder.id.endsWith(`@${digest}`)) return undefined;
  return loadDenseExplainer(dir);
}
