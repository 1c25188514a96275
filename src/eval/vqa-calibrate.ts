import type { Encoder } from '../encoders/encoder.js';
import { FALLBACK_CALIBRATION, encodeBank, fitLogistic, logit, predict, type AskCalibration, type Logistic } from '../apps/ask/calibration.js';
import { AskImage, AskModels } from '../apps/ask/image-context.js';
import { routeQuestion, type AskLang } from '../apps/ask/router.js';
import { Verifier } from '../apps/ask/skill-verify.js';
import { countable } from '../apps/ask/skill-count.js';
import { COCO_LABELS } from '../model/detector.js';
import { loadFlickr8k } from '../train/datasets/flickr8k.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import { progress } from '../util/progress.js';
import { VlmError } from '../util/errors.js';
import { embedImagesBatched } from './embed-batched.js';
import { buildCaptionVqa, type VqaQuestion } from './vqa-dataset.js';

export interface CalibrateOptions {
  seed?: number;
  /** yes (and no) dev questions per concept. */
  perConcept?: number;
  /** dev photos in the z-score reference bank. */
  bankSize?: number;
  command?: string;
  quiet?: boolean;
}

export interface CalibrationReport {
  split: 'dev';
  yesno: Record<string, { n: number; accuracy: number }>;
  count: { n: number; accuracy: number; minScore: number };
}

/** Dev accuracy per candidate detector threshold; the best wins (ties: the lower threshold). */
export function pickCountThreshold(items: { truth: number; scores: number[] }[], grid: number[]): { minScore: number; accuracy: number } {
  let best = { minScore: grid[0], accuracy: -1 };
  for (const t of grid) {
    const acc = items.filter((it) => it.scores.filter((s) => s >= t).length === it.truth).length / Math.max(1, items.length);
    if (acc > best.accuracy) best = { minScore: t, accuracy: acc };
  }
  return best;
}

/**
 * Fit everything `vlm ask` calibrates, on Flickr8k DEV only: the z-score bank, the yes/no logistic models and the
 * counting threshold. Returns the calibration (to write as src/apps/ask/calibration.json) and dev accuracies.
 */
export async function calibrateAsk(encoder: Encoder, opts: CalibrateOptions = {}): Promise<{ calibration: AskCalibration; report: CalibrationReport }> {
  const seed = opts.seed ?? 7;
  const dev = loadFlickr8k('dev', 'en');
  const rng = createRng(seed);
  const bankPaths = shuffleInPlace([...dev.imagePaths], rng).slice(0, opts.bankSize ?? 300);
  const bankRows = await embedImagesBatched(encoder, bankPaths, { label: 'dev reference bank', quiet: opts.quiet });
  const base: AskCalibration = {
    ...FALLBACK_CALIBRATION,
    encoder: encoder.id,
    command: opts.command ?? 'vlm eval vqa --calibrate',
    created: new Date().toISOString(),
    bank: encodeBank(bankRows),
  };
  const verifier = new Verifier(encoder, base);
  const models = new AskModels(encoder);

  const { yesno, count } = buildCaptionVqa({ split: 'dev', seed, perConcept: opts.perConcept ?? 30 });
  const paths = [...new Set([...yesno, ...count].map((q) => q.image))];
  const embs = await embedImagesBatched(encoder, paths, { label: 'dev images', quiet: opts.quiet });
  const images = new Map(paths.map((p, i) => [p, new AskImage(p, models, { embedding: embs[i] })]));

  // 1. Yes/no evidence per question, through the same router the user's question goes through.
  const rows: Record<'coco' | 'free', Record<AskLang, { x: number[][]; y: number[] }>> = {
    coco: { en: { x: [], y: [] }, zh: { x: [], y: [] } },
    free: { en: { x: [], y: [] }, zh: { x: [], y: [] } },
  };
  const bar = progress('dev yes/no evidence', yesno.length, { quiet: opts.quiet });
  for (const q of yesno) {
    const route = routeQuestion(q.question);
    if (route.kind !== 'verify') throw new VlmError(`the router does not read "${q.question}" as a yes/no question (${route.kind})`);
    const coco = route.bare ? route.concept?.coco : undefined;
    const ev = await verifier.evidence(images.get(q.image)!, route.phrase, q.lang, coco);
    const group = coco ? rows.coco[q.lang] : rows.free[q.lang];
    group.x.push(coco ? [ev.z, logit(ev.detector!)] : [ev.z]);
    group.y.push(q.answer ? 1 : 0);
    bar.tick();
  }
  bar.stop();
  const fit = (r: { x: number[][]; y: number[] }, fallback: Logistic) => (r.x.length >= 20 ? fitLogistic(r.x, r.y) : fallback);
  const verify: AskCalibration['verify'] = {
    coco: { en: fit(rows.coco.en, base.verify.coco.en), zh: fit(rows.coco.zh, base.verify.coco.zh) },
    free: { en: fit(rows.free.en, base.verify.free.en), zh: fit(rows.free.zh, base.verify.free.zh) },
  };
  const yesnoReport: CalibrationReport['yesno'] = {};
  for (const kind of ['coco', 'free'] as const) {
    for (const lang of ['en', 'zh'] as const) {
      const r = rows[kind][lang];
      const ok = r.x.filter((x, i) => (predict(verify[kind][lang], x) >= 0.5 ? 1 : 0) === r.y[i]).length;
      yesnoReport[`${kind}_${lang}`] = { n: r.x.length, accuracy: ok / Math.max(1, r.x.length) };
    }
  }

  // 2. Counting: the detector threshold that makes the most dev counts right.
  const counting = await calibrateCounting(count, images, opts.quiet);
  const best = { minScore: counting.minScore, accuracy: counting.devAccuracy };
  await models.dispose();

  const report: CalibrationReport = { split: 'dev', yesno: yesnoReport, count: { n: counting.n, accuracy: best.accuracy, minScore: best.minScore } };
  const calibration: AskCalibration = {
    ...base,
    dev: { ...report, questions: yesno.length, bank: bankRows.length, seed },
    verify,
    count: counting,
  };
  return { calibration, report };
}

/**
 * The counting threshold, and the answer's confidence: the dev accuracy among cases with that many objects
 * (Laplace-smoothed). Dev counting cases all have 2+ objects (captions rarely say "one dog"), so 0 and 1 have no
 * dev evidence and get the overall dev accuracy.
 */
export async function calibrateCounting(count: VqaQuestion[], images: Map<string, AskImage>, quiet?: boolean): Promise<AskCalibration['count']> {
  const countItems: { coco: string; truth: number; scores: number[] }[] = [];
  const enCount = count.filter((q) => q.lang === 'en');
  const bar = progress('dev counting', enCount.length, { quiet });
  for (const q of enCount) {
    const coco = routeCoco(q);
    const classId = COCO_LABELS.indexOf(coco);
    const { detections } = await images.get(q.image)!.detections();
    countItems.push({ coco, truth: q.answer as number, scores: countable(detections, classId).map((d) => d.score) });
    bar.tick();
  }
  bar.stop();
  const grid = Array.from({ length: 27 }, (_, i) => Math.round((0.1 + i * 0.025) * 1000) / 1000);
  const best = pickCountThreshold(countItems, grid);
  // Classes with enough dev cases (people, dogs) get their own threshold: their score scales differ.
  const perClass: Record<string, number> = {};
  for (const coco of new Set(countItems.map((it) => it.coco))) {
    const mine = countItems.filter((it) => it.coco === coco);
    if (mine.length >= MIN_CLASS_CASES) perClass[coco] = pickCountThreshold(mine, grid).minScore;
  }
  const thresholdOf = (coco: string) => perClass[coco] ?? best.minScore;
  const right = (it: (typeof countItems)[number]) => it.scores.filter((s) => s >= thresholdOf(it.coco)).length === it.truth;
  const accuracy = countItems.filter(right).length / Math.max(1, countItems.length);
  const byCount = [0, 1, 2, 3, 4].map((k) => {
    const sel = countItems.filter((it) => Math.min(4, it.truth) === k);
    return sel.length ? (sel.filter(right).length + 1) / (sel.length + 2) : accuracy;
  });
  return { minScore: best.minScore, perClass, iouThreshold: 0.5, accuracyByCount: byCount, devAccuracy: accuracy, n: countItems.length };
}

/** Dev cases a class needs before it gets a threshold of its own. */
const MIN_CLASS_CASES = 30;

function routeCoco(q: VqaQuestion): string {
  const route = routeQuestion(q.question);
  if (route.kind !== 'count') throw new VlmError(`the router does not read "${q.question}" as a counting question (${route.kind})`);
  return route.concept.coco ?? route.concept.parent!;
}
