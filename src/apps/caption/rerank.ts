import type { BeamHypothesis } from '../../model/caption-beam.js';
import { consensusScores } from './consensus.js';

/**
 * Each candidate's re-ranking term beside its decoder score: weight x the encoder's logit scale x cosine(image,
 * caption), plus memory.weight x its consensus with the captions of the image's nearest training images
 * (CaptionMemory.consensus).
 */
export function rerankTerms(cosines: number[], logitScale: number, weight: number, memory?: { scores: number[]; weight: number }): number[] {
  return cosines.map((c, i) => weight * logitScale * c + (memory ? memory.weight * memory.scores[i] : 0));
}

/**
 * Re-rank a final beam: decoder score (length-normalised log-probability) + the candidate's term (rerankTerms; all
 * zero keeps the decoder's order) + consensus x agreement with the rest of the beam (consensusScores on the token ids).
 */
export function rerankScores(hyps: BeamHypothesis[], terms: number[], consensus = 0, agree = consensus !== 0 ? beamAgreement(hyps) : undefined): number[] {
  return hyps.map((h, i) => h.score + terms[i] + (consensus !== 0 && agree ? consensus * agree[i] : 0));
}

/** Each candidate's agreement with the rest of its beam (consensusScores on token ids): callers that pick from the same beam under many weights compute it once. */
export function beamAgreement(hyps: BeamHypothesis[]): number[] {
  return consensusScores(hyps.map((h) => h.ids.map(String)));
}

/** Index of the best hypothesis under rerankScores. */
export function rerankBest(hyps: BeamHypothesis[], terms: number[], consensus = 0, agree?: number[]): number {
  const s = rerankScores(hyps, terms, consensus, agree);
  let best = 0;
  for (let i = 1; i < s.length; i++) if (s[i] > s[best]) best = i;
  return best;
}
