import { fitTemperature } from './calibrate.js';
import type { FittedFewShot } from './fewshot-model.js';
import { foldCount, stratifiedFolds } from './folds.js';
import { fitLogistic, logisticLogits, type LogisticModel } from './logistic.js';
import { selectRows } from './matrix.js';
import { better, checkSupport, scoreLogits, zeroShotOnSupport, type SupportData } from './support.js';

/** L2 strengths tried, strongest first (each fit warm-starts the next). sklearn's C = 1 / (lambda n). */
export const PROBE_LAMBDAS = [1, 0.1, 0.01, 0.001, 1e-4];

export interface ProbeOptions {
  lambdas?: number[];
  folds?: number;
  /** Also try shrinking towards the zero-shot weights (default true when there is a text prior). */
  usePrior?: boolean;
  /** L-BFGS iterations per cross-validation fit (warm-started along the lambda path) and for the final fit. */
  cvIterations?: number;
  finalIterations?: number;
}

/**
 * Linear probe: multinomial logistic regression on the L2-normalised embeddings (CLIP paper, sec. 3.2),
 * with the penalty strength - and whether it pulls towards zero or towards the temperature-scaled
 * zero-shot weights - chosen by stratified k-fold cross-validation on the support set (held-out
 * accuracy, one-standard-error rule). The final model is refitted on all examples; its temperature is fitted on the
 * held-out logits of the chosen setting.
 */
export function fitProbe(d: SupportData, opts: ProbeOptions = {}): FittedFewShot {
  checkSupport(d);
  const { X, y, classes } = d;
  const lambdas = [...(opts.lambdas ?? PROBE_LAMBDAS)].sort((a, b) => b - a);
  const zs = opts.usePrior === false ? null : zeroShotOnSupport(d);
  const prior = zs && d.zeroShot ? Float64Array.from(d.zeroShot.data, (v) => v / zs.temperature) : null;
  const priors: (Float64Array | null)[] = prior ? [null, prior] : [null];
  const k = foldCount(X.rows, opts.folds ?? 4);
  const fold = stratifiedFolds(y, k, d.seed ?? 0);

  let best: { accuracy: number; nll: number; lambda: number; prior: boolean; heldOut: Float64Array } | undefined;
  if (k >= 2) {
    // held[p][l] = held-out logits of every example for prior p and lambda l.
    const held = priors.map(() => lambdas.map(() => new Float64Array(X.rows * classes)));
    for (let f = 0; f < k; f++) {
      const trainIdx = [...y.keys()].filter((i) => fold[i] !== f);
      const testIdx = [...y.keys()].filter((i) => fold[i] === f);
      const Xtr = selectRows(X, trainIdx);
      const ytr = trainIdx.map((i) => y[i]);
      const Xte = selectRows(X, testIdx);
      priors.forEach((p, pi) => {
        let warm: LogisticModel | undefined;
        lambdas.forEach((lambda, li) => {
          warm = fitLogistic(Xtr, ytr, classes, { lambda, prior: p, init: warm, maxIter: opts.cvIterations ?? 60 });
          const logits = logisticLogits(warm, Xte);
          testIdx.forEach((i, r) => held[pi][li].set(logits.subarray(r * classes, (r + 1) * classes), i * classes));
        });
      });
    }
    const scored = priors.flatMap((p, pi) => lambdas.map((lambda, li) => ({ ...scoreLogits(held[pi][li], classes, y), lambda, prior: p !== null, heldOut: held[pi][li] })));
    // One-standard-error rule (Hastie et al., ESL 7.10): the strongest penalty whose held-out accuracy is
    // within one binomial standard error of the best. A few dozen held-out examples rank settings noisily,
    // and the more regularised model is the safer bet.
    let top: (typeof scored)[number] | undefined;
    for (const s of scored) if (better(s, top)) top = s;
    const t = top as (typeof scored)[number];
    const se = Math.sqrt((t.accuracy * (1 - t.accuracy)) / X.rows);
    for (const s of scored) {
      if (s.accuracy < t.accuracy - se) continue;
      if (!best || s.lambda > best.lambda || (s.lambda === best.lambda && better(s, best))) best = s;
    }
  }
  // Without two folds there is nothing to validate on: lean on the prior if there is one.
  const lambda = best?.lambda ?? (prior ? 0.1 : 0.01);
  const usePrior = best ? best.prior : prior !== null;
  const model = fitLogistic(X, y, classes, { lambda, prior: usePrior ? prior : null, maxIter: opts.finalIterations ?? 200 });
  const temperature = best ? fitTemperature(best.heldOut, classes, y) : 1;
  return {
    params: {
      method: 'probe',
      W: { rows: classes, cols: X.cols, data: Float32Array.from(model.W) },
      b: Array.from(model.b),
    },
    temperature,
    info: {
      lambda,
      prior: usePrior,
      folds: k,
      ...(best ? { cv_accuracy: best.accuracy, cv_nll: best.nll } : {}),
      ...(zs ? { zs_temperature: zs.temperature } : {}),
    },
  };
}
