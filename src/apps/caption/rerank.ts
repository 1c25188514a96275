import type { BeamHypothesis } from '../../model/caption-beam.js';

/**
 * Re-rank a final beam by the contrastive model: decoder score (length-normalised log-probability) plus
 * weight x the encoder's logit scale x cosine(image, caption). Weight 0 keeps the decoder's order.
 */
export function rerankScores(hyps: BeamHypothesis[], cosines: number[], logitScale: number, weight: number): number[] {
  return hyps.map((h, i) => h.score + weight * logitScale * cosines[i]);
}

/** Index of the best hypothesis under rerankScores. */
export function rerankBest(hyps: BeamHypothesis[], cosines: number[], logitScale: number, weight: number): number {
  const s = rerankScores(hyps, cosines, logitScale, weight);
  let best = 0;
  for (let i = 1; i < s.length; i++) if (s[i] > s[best]) best = i;
  return best;
}
