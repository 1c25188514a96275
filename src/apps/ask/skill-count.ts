import { COCO_LABELS } from '../../model/detector.js';
import { FALLBACK_CALIBRATION, type AskCalibration } from './calibration.js';
import type { AskImage } from './image-context.js';
import { pluralOf, zhName } from './lexicon.js';
import type { Route } from './router.js';
import type { AskAnswer } from './types.js';

type CountRoute = Extract<Route, { kind: 'count' }>;

/**
 * "How many dogs?": detections of the COCO class scoring at least the dev-calibrated threshold, after per-class
 * NMS. The confidence is the dev accuracy of answers with the same predicted count (0, 1, 2, 3, 4+).
 */
export async function answerCount(image: AskImage, route: CountRoute, cal: AskCalibration | undefined): Promise<AskAnswer> {
  const c = (cal ?? FALLBACK_CALIBRATION).count;
  const coco = route.concept.coco ?? route.concept.parent!;
  const classId = COCO_LABELS.indexOf(coco);
  const { detections } = await image.detections();
  const counted = detections.filter((d) => d.classId === classId && d.score >= c.minScore);
  const n = counted.length;
  const confidence = c.accuracyByPrediction[Math.min(n, c.accuracyByPrediction.length - 1)] ?? c.devAccuracy;
  const parentName = route.lang === 'zh' ? '人' : 'people';
  const answer = route.viaParent
    ? route.lang === 'zh' ? `${n}（数的是所有的${parentName}）` : `${n} (counting all ${parentName}: I cannot tell ${pluralOf(route.concept)} apart from other ${parentName})`
    : String(n);
  return {
    answer,
    skill: 'count',
    confidence,
    lang: route.lang,
    value: n,
    detail: {
      object: route.lang === 'zh' ? zhName(route.concept) : route.concept.key,
      coco,
      min_score: c.minScore,
      boxes: counted.map((d) => ({ score: d.score, box: d.box })),
    },
  };
}
