import type { Captioner } from '../caption/index.js';

export type { Captioner } from '../caption/index.js';

/**
 * The caption decoder of a model folder, or undefined with the reason (a model folder without a trained decoder
 * still answers every other kind of question). Imported on first use: the decoder is only needed for "describe".
 */
export async function tryLoadCaptioner(modelDir?: string): Promise<{ captioner?: Captioner; missing?: string }> {
  const { loadCaptioner } = await import('../caption/index.js');
  try {
    return { captioner: await loadCaptioner(modelDir) };
  } catch (err) {
    return { missing: (err as Error).message };
  }
}
