import { createRng, shuffleInPlace } from '../../util/rng.js';

/**
 * Support-set indices for `shots` examples per class, drawn with `seed`. The draws are nested: for one
 * seed, the 2-shot set contains the 1-shot set and so on, as in the CLIP and Tip-Adapter protocols, so a
 * curve over shots shows what more examples add rather than a fresh random draw at each point. A class
 * with fewer than `shots` examples contributes all it has.
 */
export function sampleSupport(labels: ArrayLike<number>, classes: number, shots: number, seed: number): number[] {
  const rng = createRng(0x5eed ^ (seed * 7919));
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  return byClass.flatMap((idx) => shuffleInPlace(idx, rng).slice(0, shots)).sort((a, b) => a - b);
}
