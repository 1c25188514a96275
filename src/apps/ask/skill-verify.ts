import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dot, l2normalize, type Encoder } from '../../encoders/encoder.js';
import { COCO_LABELS } from '../../model/detector.js';
import { repoRoot } from '../../util/paths.js';
import { FALLBACK_CALIBRATION, decodeBank, logit, predict, type AskCalibration } from './calibration.js';
import type { AskImage } from './image-context.js';
import type { AskLang, Route } from './router.js';
import type { AskAnswer } from './types.js';

type VerifyRoute = Extract<Route, { kind: 'verify' }>;

/** Several phrasings per language, averaged: one template's quirks matter less. */
const TEMPLATES: Record<AskLang, string[]> = {
  en: ['{p}', 'there is {p}', 'a photo of {p}'],
  zh: ['{p}', '图中有{p}', '一张有{p}的照片'],
};

export interface VerifyScore {
  /** P(yes). */
  p: number;
  /** Image-text cosine, and the same as a z-score against the reference bank of photos. */
  cosine: number;
  z: number;
  /** The detector's best score for the concept's COCO class, when it has one. */
  detector?: number;
}

/**
 * Yes/no by verification: does the image match the phrase unusually well (contrastive model, z-scored against a
 * bank of dev photos), and, for COCO objects, did the detector fire? A logistic model fitted on dev turns the
 * evidence into P(yes).
 */
export class Verifier {
  private bankP?: Promise<Float32Array[]>;
  private readonly phrases = new Map<string, Promise<{ mean: number; std: number; emb: Float32Array }>>();
  readonly calibrated: boolean;
  private readonly cal: Omit<AskCalibration, 'bank'> & { bank?: AskCalibration['bank'] };

  constructor(private readonly encoder: Encoder, cal: AskCalibration | undefined) {
    this.calibrated = cal !== undefined && cal.encoder === encoder.id;
    this.cal = this.calibrated ? cal! : FALLBACK_CALIBRATION;
  }

  /** The reference photos: dev images from the calibration, else (another encoder) the bundled demo photos. */
  private bank(): Promise<Float32Array[]> {
    return (this.bankP ??= (async () => {
      if (this.cal.bank) return decodeBank(this.cal as AskCalibration);
      const dir = join(repoRoot, 'assets', 'demo');
      const files = readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => join(dir, f));
      return this.encoder.embedImages(files);
    })());
  }

  /** The phrase's text embedding (template average) and its score distribution over the bank. */
  private phrase(phrase: string, lang: AskLang): Promise<{ mean: number; std: number; emb: Float32Array }> {
    const key = `${lang}\t${phrase}`;
    let p = this.phrases.get(key);
    if (!p) {
      p = (async () => {
        const vecs = await this.encoder.embedTexts(TEMPLATES[lang].map((t) => t.replace('{p}', phrase)), { lang });
        const emb = new Float32Array(vecs[0].length);
        for (const v of vecs) for (let i = 0; i < v.length; i++) emb[i] += v[i];
        l2normalize(emb);
        const sims = (await this.bank()).map((b) => dot(b, emb));
        const mean = sims.reduce((s, x) => s + x, 0) / sims.length;
        const std = Math.sqrt(sims.reduce((s, x) => s + (x - mean) ** 2, 0) / sims.length) || 1e-3;
        return { mean, std, emb };
      })();
      this.phrases.set(key, p);
      if (this.phrases.size > 5000) this.phrases.delete(this.phrases.keys().next().value!);
    }
    return p;
  }

  /** The evidence for one phrase (optionally with a COCO class) on one image. */
  async evidence(image: AskImage, phrase: string, lang: AskLang, coco?: string): Promise<{ z: number; cosine: number; detector?: number }> {
    const [emb, stats] = await Promise.all([image.embedding(), this.phrase(phrase, lang)]);
    const cosine = dot(emb, stats.emb);
    const z = (cosine - stats.mean) / stats.std;
    if (!coco) return { z, cosine };
    const classId = COCO_LABELS.indexOf(coco);
    const detector = (await image.detections()).classScores[classId];
    return { z, cosine, detector };
  }

  async score(image: AskImage, route: VerifyRoute, qLang: AskLang): Promise<VerifyScore> {
    const coco = route.concept?.coco;
    const ev = await this.evidence(image, route.phrase, qLang, coco);
    if (coco && ev.detector !== undefined) {
      const pObject = predict(this.cal.verify.coco[qLang], [ev.z, logit(ev.detector)]);
      if (route.bare) return { p: pObject, ...ev };
      // "is the dog black?": the object must be there (detector + text) and the whole phrase must match.
      const pPhrase = predict(this.cal.verify.free[qLang], [ev.z]);
      return { p: Math.min(pObject, pPhrase), ...ev };
    }
    return { p: predict(this.cal.verify.free[qLang], [ev.z]), ...ev };
  }
}

export async function answerVerify(verifier: Verifier, image: AskImage, route: VerifyRoute, qLang: AskLang): Promise<AskAnswer> {
  const s = await verifier.score(image, route, qLang);
  const yes = s.p >= 0.5;
  // Chinese answers echo the question's verb: "有狗吗" -> 有/没有, "狗是黑色的吗" -> 是/不是.
  const answer = route.lang === 'en' ? (yes ? 'yes' : 'no') : route.bare ? (yes ? '有' : '没有') : (yes ? '是' : '不是');
  return {
    answer,
    skill: 'verify',
    confidence: yes ? s.p : 1 - s.p,
    lang: route.lang,
    value: yes,
    detail: {
      phrase: route.phrase,
      concept: route.concept?.key,
      coco: route.concept?.coco,
      p_yes: s.p,
      z: s.z,
      cosine: s.cosine,
      detector: s.detector,
      calibrated: verifier.calibrated,
    },
  };
}
