import { expectedCalibrationError, fitTemperature, meanNll, softmaxRows } from '../../apps/classify/calibrate.js';
import { fewShotLogits, type FewShotMethod } from '../../apps/classify/fewshot-model.js';
import { fitFewShot } from '../../apps/classify/fit-fewshot.js';
import { argmaxRows, mulABt, selectRows, type Mat } from '../../apps/classify/matrix.js';
import { InputError } from '../../util/errors.js';
import { accuracy, confusionMatrix, meanPerClassAccuracy, meanStd, type MeanStd } from '../classification-metrics.js';
import { DEFAULT_TEMPERATURE } from '../zero-shot.js';
import { sampleSupport } from './sample.js';

/** Embedded train / test splits and the zero-shot class vectors: everything a few-shot benchmark needs. */
export interface EmbeddedSplits {
  classes: number;
  /** n x dim, L2-normalised rows. */
  trainX: Mat;
  trainY: number[];
  testX: Mat;
  testY: number[];
  /** classes x dim, or null (no text prior: zero-shot is not measured). */
  zeroShot: Mat | null;
  /**
   * When trainX/testX are not the embedding (e.g. image-tower features): the embeddings the zero-shot class
   * vectors score (same rows). The learning methods then fit without the text prior, which lives in another space.
   */
  zeroShotX?: { train: Mat; test: Mat };
}

export interface RunScore {
  seed: number;
  /** Fractions (0-1). */
  accuracy: number;
  mean_per_class: number;
  /** Test NLL and ECE of the calibrated probabilities. */
  nll: number;
  ece: number;
  temperature: number;
  support: number;
  seconds: number;
  info: Record<string, number | string | boolean>;
}

export interface CurvePoint {
  shots: number;
  accuracy: MeanStd;
  mean_per_class: MeanStd;
  nll: MeanStd;
  ece: MeanStd;
  runs: RunScore[];
}

export interface ZeroShotPoint {
  accuracy: number;
  mean_per_class: number;
  /** Test NLL / ECE with CLIP's fixed temperature 0.01. */
  nll_default: number;
  ece_default: number;
  /** Test NLL / ECE with the temperature fitted on each support set (same draws as the few-shot methods). */
  calibrated: { shots: number; temperature: MeanStd; nll: MeanStd; ece: MeanStd }[];
}

export interface FewShotCore {
  zero_shot: ZeroShotPoint | null;
  curves: Partial<Record<FewShotMethod, CurvePoint[]>>;
  /** Confusion matrix [true][predicted] of the best method at the most shots, summed over seeds. */
  confusion: { method: FewShotMethod; shots: number; matrix: number[][] } | null;
}

export interface CoreOptions {
  shots: number[];
  seeds: number;
  methods: FewShotMethod[];
  onRun?: (msg: string) => void;
}

function scoreProbs(logits: Float64Array, classes: number, truth: number[], temperature: number) {
  const pred = argmaxRows(logits, classes);
  return {
    pred,
    accuracy: accuracy(pred, truth),
    mean_per_class: meanPerClassAccuracy(pred, truth, classes),
    nll: meanNll(logits, classes, truth, temperature),
    ece: expectedCalibrationError(softmaxRows(logits, classes, temperature), classes, truth),
  };
}

/**
 * The benchmark on precomputed embeddings: for every seed and shot count draw a support set from train,
 * fit each method on it (hyperparameters by cross-validation inside the support set only), score on
 * all of test. Pure computation: evalFewShot() supplies the embeddings.
 */
export function runFewShotCore(s: EmbeddedSplits, opts: CoreOptions): FewShotCore {
  const C = s.classes;
  if (s.trainX.rows !== s.trainY.length || s.testX.rows !== s.testY.length) throw new InputError('embeddings and labels differ in length');
  if (!opts.shots.length || opts.shots.some((k) => !(Number.isInteger(k) && k > 0))) throw new InputError(`shots must be positive whole numbers (got ${opts.shots})`);
  if (!(Number.isInteger(opts.seeds) && opts.seeds > 0)) throw new InputError(`seeds must be a positive whole number (got ${opts.seeds})`);
  const shots = [...new Set(opts.shots)].sort((a, b) => a - b);
  const zsLogits = s.zeroShot ? mulABt(s.zeroShotX?.test ?? s.testX, s.zeroShot) : null;
  const zsTrainLogits = s.zeroShot ? mulABt(s.zeroShotX?.train ?? s.trainX, s.zeroShot) : null;
  const prior = s.zeroShotX ? null : s.zeroShot;
  const runs = new Map<string, RunScore[]>();
  const zsCal = new Map<number, { temperature: number; nll: number; ece: number }[]>();
  const preds = new Map<string, number[][]>();
  // A shot count at or above every class's size draws the same support set (the whole train pool) for every
  // seed: it is fitted and scored once (n = 1 run, std 0) instead of repeating the same work.
  const firstDraw = new Map<number, string>();
  for (let seed = 0; seed < opts.seeds; seed++) {
    for (const k of shots) {
      const idx = sampleSupport(s.trainY, C, k, seed);
      const drawKey = [...idx].sort((a, b) => a - b).join(',');
      if (seed === 0) firstDraw.set(k, drawKey);
      else if (firstDraw.get(k) === drawKey) continue;
      const X = selectRows(s.trainX, idx);
      const y = idx.map((i) => s.trainY[i]);
      if (zsLogits && zsTrainLogits) {
        const sup = new Float64Array(idx.length * C);
        idx.forEach((i, r) => sup.set(zsTrainLogits.subarray(i * C, (i + 1) * C), r * C));
        const t = fitTemperature(sup, C, y);
        const sc = scoreProbs(zsLogits, C, s.testY, t);
        zsCal.set(k, [...(zsCal.get(k) ?? []), { temperature: t, nll: sc.nll, ece: sc.ece }]);
      }
      for (const method of opts.methods) {
        const start = Date.now();
        const fit = fitFewShot(method, { X, y, classes: C, zeroShot: prior, seed });
        const sc = scoreProbs(fewShotLogits(fit.params, s.testX), C, s.testY, fit.temperature);
        const seconds = (Date.now() - start) / 1000;
        const key = `${method}/${k}`;
        runs.set(key, [...(runs.get(key) ?? []), {
          seed, accuracy: sc.accuracy, mean_per_class: sc.mean_per_class, nll: sc.nll, ece: sc.ece,
          temperature: fit.temperature, support: idx.length, seconds, info: fit.info,
        }]);
        preds.set(key, [...(preds.get(key) ?? []), sc.pred]);
        opts.onRun?.(`seed ${seed} ${k}-shot ${method}: ${(100 * sc.accuracy).toFixed(1)}% (${seconds.toFixed(1)} s)`);
      }
    }
  }
  const curves: FewShotCore['curves'] = {};
  for (const method of opts.methods) {
    curves[method] = shots.map((k) => {
      const r = runs.get(`${method}/${k}`) as RunScore[];
      return {
        shots: k,
        accuracy: meanStd(r.map((x) => x.accuracy)),
        mean_per_class: meanStd(r.map((x) => x.mean_per_class)),
        nll: meanStd(r.map((x) => x.nll)),
        ece: meanStd(r.map((x) => x.ece)),
        runs: r,
      };
    });
  }
  let zero_shot: ZeroShotPoint | null = null;
  if (zsLogits) {
    const d = scoreProbs(zsLogits, C, s.testY, DEFAULT_TEMPERATURE);
    zero_shot = {
      accuracy: d.accuracy, mean_per_class: d.mean_per_class, nll_default: d.nll, ece_default: d.ece,
      calibrated: shots.map((k) => {
        const r = zsCal.get(k) as { temperature: number; nll: number; ece: number }[];
        return { shots: k, temperature: meanStd(r.map((x) => x.temperature)), nll: meanStd(r.map((x) => x.nll)), ece: meanStd(r.map((x) => x.ece)) };
      }),
    };
  }
  // Confusions of the best method at the largest shot count.
  let confusion: FewShotCore['confusion'] = null;
  const top = shots[shots.length - 1];
  const bestMethod = opts.methods.reduce<FewShotMethod | null>((b, m) => {
    const acc = (x: FewShotMethod) => (curves[x] as CurvePoint[]).find((p) => p.shots === top)?.accuracy.mean ?? -1;
    return b === null || acc(m) > acc(b) ? m : b;
  }, null);
  if (bestMethod) {
    const matrix = Array.from({ length: C }, () => new Array<number>(C).fill(0));
    for (const p of preds.get(`${bestMethod}/${top}`) as number[][]) {
      confusionMatrix(p, s.testY, C).forEach((row, i) => row.forEach((v, j) => (matrix[i][j] += v)));
    }
    confusion = { method: bestMethod, shots: top, matrix };
  }
  return { zero_shot, curves, confusion };
}

/** The most frequent off-diagonal cells of a confusion matrix, with their share of the true class. */
export function topConfusions(matrix: number[][], names: string[], n = 10): { true: string; predicted: string; count: number; share: number }[] {
  const cells: { true: string; predicted: string; count: number; share: number }[] = [];
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => {
      if (i !== j && v > 0) cells.push({ true: names[i], predicted: names[j], count: v, share: v / total });
    });
  });
  return cells.sort((a, b) => b.count - a.count || b.share - a.share).slice(0, n);
}
