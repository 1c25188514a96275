import { DEFAULT_TEMPERATURE } from '../../eval/zero-shot.js';
import { fitTemperature } from './calibrate.js';
import type { FittedFewShot } from './fewshot-model.js';
import { mulABt, normalizeRows, selectRows, zeros, type Mat } from './matrix.js';
import { checkSupport, type SupportData } from './support.js';

/**
 * Nearest class prototype (the "nearest centroid" / Prototypical Networks baseline): each class is the
 * renormalised mean of its support embeddings, an image goes to the most similar one. No zero-shot
 * prior: it shows what the examples alone are worth. The temperature is fitted leave-one-out (each
 * example against its class's prototype without itself); with one shot per class there is nothing to
 * hold out and CLIP's 0.01 is used.
 */
export function fitPrototype(d: SupportData): FittedFewShot {
  checkSupport(d);
  const { X, y, classes } = d;
  const dim = X.cols;
  const sums = zeros(classes, dim);
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < X.rows; i++) {
    counts[y[i]]++;
    for (let k = 0; k < dim; k++) sums.data[y[i] * dim + k] += X.data[i * dim + k];
  }
  const prototypes = normalizeRows({ rows: classes, cols: dim, data: Float32Array.from(sums.data) });

  // Leave-one-out logits for examples whose class has another example.
  const held = [...y.keys()].filter((i) => counts[y[i]] >= 2);
  let temperature = DEFAULT_TEMPERATURE;
  if (held.length) {
    const Xh = selectRows(X, held);
    const logits = mulABt(Xh, prototypes);
    held.forEach((i, r) => {
      const c = y[i];
      const own: Mat = { rows: 1, cols: dim, data: new Float32Array(dim) };
      for (let k = 0; k < dim; k++) own.data[k] = sums.data[c * dim + k] - X.data[i * dim + k];
      normalizeRows(own);
      logits[r * classes + c] = mulABt(selectRows(X, [i]), own)[0];
    });
    temperature = fitTemperature(logits, classes, held.map((i) => y[i]));
  }
  return { params: { method: 'prototype', prototypes }, temperature, info: { loo_examples: held.length } };
}
