import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../util/paths.js';
import { VlmError } from '../../util/errors.js';
import type { AskLang } from './router.js';

/**
 * What `vlm ask` learned on Flickr8k DEV (never test), for one encoder:
 *  - a reference bank of dev image embeddings, so any phrase's image-text score can be turned into a z-score
 *    ("how unusually well does this image match 'a dog', compared with photos in general?"): raw cosines differ
 *    from word to word, z-scores share one threshold;
 *  - logistic models from (z, detector score) to P(yes) for COCO objects and from z alone for other phrases,
 *    per question language;
 *  - the detector score threshold for counting and the dev accuracy per true count (the answer's confidence).
 * Written by `vlm eval vqa --calibrate` (src/eval/vqa-calibrate.ts).
 */
export interface Logistic {
  /** Weights for the features in order: [z] or [z, logit(detector score)]. */
  w: number[];
  b: number;
}

export interface AskCalibration {
  encoder: string;
  split: 'dev';
  command: string;
  created: string;
  bank: { n: number; dim: number; /** float32 little-endian, base64 */ data: string };
  verify: { coco: Record<AskLang, Logistic>; free: Record<AskLang, Logistic> };
  count: { minScore: number; /** thresholds of classes with enough dev cases (COCO name -> score) */ perClass?: Record<string, number>; iouThreshold: number; /** dev accuracy among cases with 0, 1, 2, 3, 4+ objects */ accuracyByCount: number[]; devAccuracy: number; n: number };
  /** Dev accuracies of the fitted models (for the record; not read at answer time). */
  dev?: Record<string, unknown>;
}

/** Where the calibration for the shipped default model lives (beside the code that reads it). */
export const CALIBRATION_PATH = join(repoRoot, 'src', 'apps', 'ask', 'calibration.json');

/** Used when no calibration matches the encoder: conservative rules of thumb, flagged in every answer. */
export const FALLBACK_CALIBRATION: Omit<AskCalibration, 'bank'> = {
  encoder: '',
  split: 'dev',
  command: '',
  created: '',
  verify: {
    coco: { en: { w: [1, 1], b: -1.5 }, zh: { w: [1, 1], b: -1.5 } },
    free: { en: { w: [1.5], b: -2 }, zh: { w: [1.5], b: -2 } },
  },
  count: { minScore: 0.3, iouThreshold: 0.5, accuracyByCount: [0.5, 0.5, 0.5, 0.5, 0.5], devAccuracy: 0.5, n: 0 },
};

export function readCalibration(path: string = CALIBRATION_PATH): AskCalibration | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AskCalibration;
  } catch (err) {
    throw new VlmError(`${path} is not valid JSON (${(err as Error).message}): re-run \`vlm eval vqa --calibrate\``);
  }
}

export function decodeBank(cal: AskCalibration): Float32Array[] {
  const buf = Buffer.from(cal.bank.data, 'base64');
  const all = new Float32Array(cal.bank.n * cal.bank.dim);
  new Uint8Array(all.buffer).set(buf.subarray(0, all.byteLength));
  return Array.from({ length: cal.bank.n }, (_, i) => all.subarray(i * cal.bank.dim, (i + 1) * cal.bank.dim));
}

export function encodeBank(rows: Float32Array[]): AskCalibration['bank'] {
  const dim = rows[0]?.length ?? 0;
  const all = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => all.set(r, i * dim));
  return { n: rows.length, dim, data: Buffer.from(all.buffer).toString('base64') };
}

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Detector probabilities as log-odds, clipped so a 0 or 1 does not dominate. */
export const logit = (p: number) => {
  const q = Math.min(0.999, Math.max(0.001, p));
  return Math.log(q / (1 - q));
};

export function predict(model: Logistic, features: number[]): number {
  let s = model.b;
  for (let i = 0; i < model.w.length; i++) s += model.w[i] * features[i];
  return sigmoid(s);
}

/** Plain gradient descent on log loss with a little L2 (a handful of features, a few thousand rows). */
export function fitLogistic(x: number[][], y: number[], opts: { l2?: number; steps?: number; lr?: number } = {}): Logistic {
  const d = x[0]?.length ?? 0;
  const l2 = opts.l2 ?? 1e-3;
  const w = new Array<number>(d).fill(0);
  let b = 0;
  const lr = opts.lr ?? 0.5;
  for (let step = 0; step < (opts.steps ?? 3000); step++) {
    const gw = new Array<number>(d).fill(0);
    let gb = 0;
    for (let i = 0; i < x.length; i++) {
      const err = predict({ w, b }, x[i]) - y[i];
      for (let j = 0; j < d; j++) gw[j] += err * x[i][j];
      gb += err;
    }
    for (let j = 0; j < d; j++) w[j] -= lr * (gw[j] / x.length + l2 * w[j]);
    b -= lr * (gb / x.length);
  }
  return { w, b };
}
