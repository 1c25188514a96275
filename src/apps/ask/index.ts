import type { Encoder } from '../../encoders/encoder.js';
import type { ImageInput } from '../../image/types.js';
import { InputError } from '../../util/errors.js';
import { readCalibration, type AskCalibration } from './calibration.js';
import { tryLoadCaptioner, type Captioner } from './captioner.js';
import { AskImage, AskModels } from './image-context.js';
import { closeOcr } from './ocr-engine.js';
import { questionLang, routeQuestion, type AskLang, type Route } from './router.js';
import { answerCaption } from './skill-caption.js';
import { answerCount } from './skill-count.js';
import { answerOcr } from './skill-ocr.js';
import { answerVerify, Verifier } from './skill-verify.js';
import type { AskAnswer } from './types.js';

export type { AskAnswer, SkillName } from './types.js';
export type { AskLang, Route } from './router.js';
export { routeQuestion, questionLang } from './router.js';
export { AskImage } from './image-context.js';

export interface AskOptions {
  /** Answer language; by default the question's. */
  lang?: AskLang;
}

export interface Asker {
  /** Answer one question about one image. */
  ask(image: ImageInput | AskImage, question: string, opts?: AskOptions): Promise<AskAnswer>;
  /** Wrap an image so several questions about it share the model passes. */
  image(input: ImageInput, known?: { embedding?: Float32Array }): AskImage;
  readonly calibrated: boolean;
  dispose(): Promise<void>;
}

export interface AskerOptions {
  /** Model folder for the caption decoder (default: the shipped default model). */
  modelDir?: string;
  /** Calibration to use instead of the shipped one (the eval passes a fresh dev calibration). */
  calibration?: AskCalibration;
}

const MAX_QUESTION = 500;

/**
 * Visual question answering by routing: a rule-based router picks a skill (caption, verify, count, ocr) and the
 * skill answers with its own model. Every answer names its skill and a confidence; questions no skill covers are
 * answered as unanswerable with the reason, never with a guess.
 */
export function createAsker(encoder: Encoder, opts: AskerOptions = {}): Asker {
  const cal = opts.calibration ?? readCalibration();
  const models = new AskModels(encoder);
  const verifier = new Verifier(encoder, cal);
  const calibrated = verifier.calibrated;
  let captionP: Promise<{ captioner?: Captioner; missing?: string }> | undefined;

  async function answer(image: AskImage, route: Route, qLang: AskLang): Promise<AskAnswer> {
    switch (route.kind) {
      case 'caption': {
        captionP ??= tryLoadCaptioner(opts.modelDir).catch((err: Error) => ({ missing: err.message }));
        const { captioner, missing } = await captionP;
        return answerCaption(image, route, captioner, missing);
      }
      case 'verify':
        return answerVerify(verifier, image, route, qLang);
      case 'count':
        return answerCount(image, route, calibrated ? cal : undefined);
      case 'ocr':
        return answerOcr(image, route);
      case 'unanswerable':
        return {
          answer: route.lang === 'zh' ? `这个问题我回答不了：${route.reason}` : `I can't answer that: ${route.reason}`,
          skill: 'unanswerable',
          confidence: 0,
          lang: route.lang,
          detail: { reason: route.reason },
        };
    }
  }

  return {
    calibrated,
    image: (input, known) => new AskImage(input, models, known),
    async ask(image, question, o = {}) {
      if (typeof question !== 'string' || !question.trim()) throw new InputError('the question is empty: ask e.g. "what is in the image?" or "is there a dog?"');
      if (question.length > MAX_QUESTION) throw new InputError(`the question is ${question.length} characters long; ask in at most ${MAX_QUESTION}`);
      const img = image instanceof AskImage ? image : new AskImage(image, models);
      // Decode first: a corrupt or missing image is an error, whatever the question.
      await img.rgb();
      const qLang = questionLang(question);
      const route = routeQuestion(question, o.lang);
      const a = await answer(img, route, qLang);
      // Without a dev calibration for this encoder, say so rather than pass rule-of-thumb numbers off as calibrated.
      return calibrated || a.skill === 'ocr' || a.skill === 'caption' || a.skill === 'unanswerable' ? a : { ...a, detail: { ...a.detail, uncalibrated: true } };
    },
    async dispose() {
      await models.dispose();
      await closeOcr();
      const c = await captionP?.catch(() => undefined);
      await c?.captioner?.dispose();
    },
  };
}
