import { chineseChars, englishWords, type CaptionLang } from '../../model/caption-vocab.js';

/**
 * Metric tokens. English: lower-cased words without punctuation (as coco-caption's PTB tokenizer leaves them).
 * Chinese: characters (punctuation dropped): scores on Chinese are character-level BLEU / ROUGE-L / CIDEr-D.
 */
export function metricTokens(text: string, lang: CaptionLang): string[] {
  return lang === 'en' ? englishWords(text) : chineseChars(text);
}
