import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelConfig, type ModelConfig } from './config.js';
import { decodeSafetensors, type SafeTensor } from './safetensors.js';

/** A native model folder's config and weights, with what the converted ONNX graphs are cached under. */
export interface ModelSource {
  config: ModelConfig;
  tensors: Map<string, SafeTensor>;
  /** sha256 of model.safetensors (hex): the model id names the exact weights */
  sha: string;
  /** the converted graphs depend on weights and config, so both make the key (shared by every user of a folder) */
  cacheKey: string;
}

export function readModelSource(dir: string): ModelSource {
  const config = readModelConfig(join(dir, 'config.json'));
  const weightsFile = join(dir, 'model.safetensors');
  const bytes = readFileSync(weightsFile);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const { tensors } = decodeSafetensors(bytes, weightsFile);
  return { config, tensors, sha, cacheKey: createHash('sha256').update(sha).update(JSON.stringify(config)).digest('hex').slice(0, 16) };
}
