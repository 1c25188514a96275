import { UsageError } from '../../util/errors.js';
import { FEWSHOT_METHODS, type FewShotMethod, type FittedFewShot } from './fewshot-model.js';
import { fitProbe } from './probe.js';
import { fitPrototype } from './prototype.js';
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

/** Fit one few-shot method on a support set (embeddings + labels + optional zero-shot prior). */
export function fitFewShot(method: FewShotMethod, d: SupportData): FittedFewShot {
  switch (method) {
    case 'zeroshot': return fitZeroShotCalibrated(d);
    case 'prototype': return fitPrototype(d);
    case 'probe': return fitProbe(d);
    case 'tip': return fitTip(d);
    case 'tip-f': return fitTipF(d);
    default: throw new UsageError(`unknown few-shot method "${String(method)}"`);
  }
}
