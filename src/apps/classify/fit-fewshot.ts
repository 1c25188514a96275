import { UsageError } from '../../util/errors.js';
import { FEWSHOT_METHODS, type FewShotMethod, type FittedFewShot } from './fewshot-model.js';
import { fitProbe } from './probe.js';
import { fitPrototype } from './prototype.js';
import { fitRidge } from './ridge.js';
import { fitInRowSpace, worthReducing } from './row-space.js';
import { fitTipF } from './tip-adapter-f.js';
import { fitTip } from './tip-adapter.js';
import type { SupportData } from './support.js';
import { fitZeroShotCalibrated } from './zero-shot-calibrated.js';

export function parseMethod(name: string): FewShotMethod {
  if (!(FEWSHOT_METHODS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown few-shot method "${name}": use ${FEWSHOT_METHODS.join(', ')}`);
  }
  return name as FewShotMethod;
}

/**
 * Fit one few-shot method on a support set (embeddings + labels + optional zero-shot prior). Features wider than
 * the support set is long (grid-pooled tower taps) are fitted in the support rows' span by the iterative methods
 * (row-space.ts: the same logistic probe, faster; Tip-Adapter-F's Adam steps differ slightly).
 */
export function fitFewShot(method: FewShotMethod, d: SupportData): FittedFewShot {
  // Only the iterative methods gain: ridge works in the dual already, and the prototype and Tip-Adapter are a few
  // passes over the data (the change of basis would cost more than it saves).
  if ((method === 'probe' || method === 'tip-f') && worthReducing(d)) return fitInRowSpace(d, (r) => fitDirect(method, r));
  return fitDirect(method, d);
}

function fitDirect(method: FewShotMethod, d: SupportData): FittedFewShot {
  switch (method) {
    case 'zeroshot': return fitZeroShotCalibrated(d);
    case 'prototype': return fitPrototype(d);
    case 'probe': return fitProbe(d);
    case 'ridge': return fitRidge(d);
    case 'tip': return fitTip(d);
    case 'tip-f': return fitTipF(d);
    default: throw new UsageError(`unknown few-shot method "${String(method)}"`);
  }
}
