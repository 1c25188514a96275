import type { AskImage } from './image-context.js';
import type { Route } from './router.js';
import type { AskAnswer } from './types.js';

type OcrRoute = Extract<Route, { kind: 'ocr' }>;

/** "What does the sign say?": tesseract (English) on the whole image; confident words only. */
export async function answerOcr(image: AskImage, route: OcrRoute): Promise<AskAnswer> {
  const r = await image.text();
  if (!r.text) {
    return {
      answer: route.lang === 'zh' ? '图中没有找到可以读出的文字' : 'I cannot find any readable text in the image',
      skill: 'ocr',
      confidence: 0,
      lang: route.lang,
      value: '',
      detail: { lines: [] },
    };
  }
  return { answer: r.text, skill: 'ocr', confidence: r.confidence, lang: route.lang, value: r.text, detail: { lines: r.lines, words: r.words } };
}
