import type { BeamHypothesis } from '../../model/caption-beam.js';
import { consensusScores } from './consensus.js';

/**
 * Re-rank a final beam: decoder score (length-normalised log-probability) + weight x the encoder's logit scale x
 * cosine(image, caption) + consensus x agreement with the rest of the beam (consensusScores on the token ids).
 * Weight 0 and consensus 0 keep the decoder's order.
 */
export function rerankScores(hyps: BeamHypothesis[], cosines: number[], logitScale: number, weight: number, consensus = 0): number[] {
  const agree = consensus !== 0 ? consensusScores(hyps.map((h) => h.ids.map(String))) : undefined;
  return hyps.map((h, i) => h.score + weight * logitScale * cosines[i] + (agree ? consensus * agree[i] : 0));
}

/** Index of the best hypothesis under rerankScores. */
export function rerankBest(hyps: BeamHypothesis[], cosines: number[], logitScale: number, weight: number, consensus = 0): number {
  const s = rerankScores(hyps, cosines, logitScale, weight, consensus);
  let best = 0;
  for (let i = 1; i < s.length; i++) if (s[i] > s[best]) best = i;
  return best;
}
