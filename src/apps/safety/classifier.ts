/**
 * The image safety classifier shipped in `nsfwjs`: its MobileNetV2Mid network with its own 5-class head
 * (Drawing, Hentai, Neutral, Porn, Sexy), loaded from the package's bundled weights (fast loader in
 * src/model/nsfwjs-loader.ts), run on tfjs-wasm. Inputs are prepared exactly as nsfwjs does (RGB/255,
 * squashed to 224 x 224).
 */
import { preprocessBatch } from '../../image/preprocess.js';
import type { ImageInput } from '../../image/types.js';
import { towerPreprocessSpec } from '../../model/image-tower.js';
import { loadNsfwjsModel } from '../../model/nsfwjs-loader.js';
import { tf } from '../../model/tf.js';

/** nsfwjs' class order (its NSFW_CLASSES). */
export const SAFETY_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type SafetyClass = (typeof SAFETY_CLASSES)[number];
export type SafetyScores = Record<SafetyClass, number>;

export interface SafetyClassifier {
  readonly id: string;
  /** class probabilities per image (each sums to 1) */
  classify(inputs: ImageInput[]): Promise<SafetyScores[]>;
  dispose(): void;
}

const NETWORK = 'mobilenet_v2_mid';
const BATCH = 16;

export async function loadSafetyClassifier(): Promise<SafetyClassifier> {
  const loaded = await loadNsfwjsModel(NETWORK);
  const spec = towerPreprocessSpec(NETWORK);
  return {
    id: `nsfwjs:${NETWORK}`,
    async classify(inputs) {
      const out: SafetyScores[] = [];
      for (let s = 0; s < inputs.length; s += BATCH) {
        const chunk = inputs.slice(s, s + BATCH);
        const pixels = await preprocessBatch(chunk, spec);
        const probs = tf.tidy(() => {
          const x = tf.tensor4d(pixels, [chunk.length, spec.height, spec.width, 3]);
          return (loaded.kind === 'graph' ? loaded.model.predict(x) : loaded.model.predict(x)) as tf.Tensor2D;
        });
        const flat = (await probs.data()) as Float32Array;
        probs.dispose();
        for (let i = 0; i < chunk.length; i++) {
          out.push(Object.fromEntries(SAFETY_CLASSES.map((c, k) => [c, flat[i * SAFETY_CLASSES.length + k]])) as SafetyScores);
        }
      }
      return out;
    },
    dispose() {
      loaded.model.dispose();
    },
  };
}
