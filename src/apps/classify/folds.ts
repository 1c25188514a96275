import { createRng, shuffleInPlace } from '../../util/rng.js';

/**
 * Stratified k-fold assignment: each class's examples are shuffled and dealt round-robin to the folds,
 * continuing where the previous class stopped. So with many shots per class every fold holds about
 * shots/k of each class, and with one shot per class the folds hold different classes (held-out classes
 * are then scored by what the method knows without their examples: the zero-shot prior, if it has one).
 */
export function stratifiedFolds(labels: ArrayLike<number>, k: number, seed: number): number[] {
  const rng = createRng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) byClass.set(labels[i], [...(byClass.get(labels[i]) ?? []), i]);
  const fold = new Array<number>(labels.length).fill(0);
  let next = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    for (const i of shuffleInPlace(byClass.get(c) as number[], rng)) fold[i] = next++ % k;
  }
  return fold;
}

/** Number of folds for n examples: k (default 5) but never more than there are examples. */
export function foldCount(n: number, k = 5): number {
  return Math.max(1, Math.min(k, n));
}
