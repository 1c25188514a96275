import type { Captioner } from './captioner.js';
import type { AskImage } from './image-context.js';
import type { Route } from './router.js';
import type { AskAnswer } from './types.js';

type CaptionRoute = Extract<Route, { kind: 'caption' }>;

/** "What is in the image?": the caption decoder's best beam; its score (geometric-mean token probability, 0..1) is the confidence. */
export async function answerCaption(image: AskImage, route: CaptionRoute, captioner: Captioner | undefined, missing?: string): Promise<AskAnswer> {
  if (!captioner) {
    const why = missing ?? 'the caption decoder is not available';
    return {
      answer: route.lang === 'zh' ? `无法描述这张图片：${why}` : `I cannot describe images yet: ${why}`,
      skill: 'unanswerable',
      confidence: 0,
      lang: route.lang,
      detail: { reason: why },
    };
  }
  const [best] = await captioner.captionImages([await image.rgb()], { lang: route.lang });
  return { answer: best.text, skill: 'caption', confidence: best.score, lang: route.lang, value: best.text };
}
