/** The server's explain feature: explainImageText with the dense explainer of the served model, loaded once. */
import type { Encoder } from '../../encoders/encoder.js';
import type { RgbImage } from '../../image/types.js';
import type { DenseExplainer } from './dense.js';
import { explainImageText, type ExplainMethod } from './explain.js';
import { explainerFor } from './open.js';

const dense = new Map<string, Promise<DenseExplainer | undefined>>();

export async function explainForServer(encoder: Encoder, image: RgbImage, text: string, opts: { method?: ExplainMethod } = {}) {
  let d = dense.get(encoder.id);
  if (!d) {
    d = explainerFor(encoder);
    dense.set(encoder.id, d);
  }
  const explainer = opts.method === 'occlusion' ? undefined : await d;
  const r = await explainImageText(encoder, image, text, { method: opts.method, dense: explainer });
  return { width: r.width, height: r.height, grid: r.grid, words: r.words, png: r.png, method: r.method, similarity: r.similarity };
}
