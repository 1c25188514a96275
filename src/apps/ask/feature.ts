import type { Encoder } from '../../encoders/encoder.js';
import type { RgbImage } from '../../image/types.js';
import { createAsker, type Asker, type AskAnswer } from './index.js';

const askers = new WeakMap<Encoder, Asker>();

/**
 * POST /v1/ask: one asker per server encoder, kept for the server's life (the detector, the OCR worker and the
 * caption decoder load on the first question that needs them).
 */
export async function askForServer(encoder: Encoder, image: RgbImage, question: string): Promise<AskAnswer & Record<string, unknown>> {
  let asker = askers.get(encoder);
  if (!asker) {
    asker = createAsker(encoder);
    askers.set(encoder, asker);
  }
  return { ...(await asker.ask(image, question)) };
}
