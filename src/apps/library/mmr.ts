import { dot } from '../../encoders/encoder.js';

export interface MmrCandidate {
  vector: Float32Array;
  /** relevance to the query (cosine) */
  relevance: number;
}

/**
 * Maximal marginal relevance (Carbonell & Goldstein 1998): greedily picks the candidate maximising
 * lambda * relevance - (1 - lambda) * (its highest similarity to anything already picked).
 * lambda = 1 is plain ranking by relevance; lower values trade relevance for variety.
 * Returns indices into candidates, in pick order.
 */
export function mmrSelect(candidates: MmrCandidate[], k: number, lambda: number): number[] {
  const n = candidates.length;
  const picked: number[] = [];
  const maxSim = new Float64Array(n).fill(-Infinity); // to the picked set
  const taken = new Uint8Array(n);
  while (picked.length < Math.min(k, n)) {
    let best = -1, bestScore = -Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      const redundancy = picked.length ? maxSim[i] : 0;
      const s = lambda * candidates[i].relevance - (1 - lambda) * redundancy;
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    taken[best] = 1;
    picked.push(best);
    for (let i = 0; i < n; i++) if (!taken[i]) maxSim[i] = Math.max(maxSim[i], dot(candidates[i].vector, candidates[best].vector));
  }
  return picked;
}
