import type { CaptionLang } from '../../model/caption-vocab.js';
import { corpusBleu } from './bleu.js';
import { ciderD } from './cider.js';
import { corpusRougeL } from './rouge.js';
import { metricTokens } from './tokenize.js';

export { corpusBleu } from './bleu.js';
export { ciderD, ciderDocFreq, type CiderDocFreq } from './cider.js';
export { corpusRougeL, rougeL, lcsLength } from './rouge.js';
export { metricTokens } from './tokenize.js';

export interface CaptionScores {
  bleu1: number;
  bleu2: number;
  bleu3: number;
  bleu4: number;
  rougeL: number;
  ciderD: number;
}

/** All caption metrics for candidate texts against reference texts (tokenised per metricTokens: characters for Chinese). */
export function scoreCaptions(hyps: string[], refs: string[][], lang: CaptionLang): CaptionScores {
  const h = hyps.map((t) => metricTokens(t, lang));
  const r = refs.map((rs) => rs.map((t) => metricTokens(t, lang)));
  const [bleu1, bleu2, bleu3, bleu4] = corpusBleu(h, r, 4);
  return { bleu1, bleu2, bleu3, bleu4, rougeL: corpusRougeL(h, r), ciderD: ciderD(h, r).score };
}
