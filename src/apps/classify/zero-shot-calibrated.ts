import { InputError } from '../../util/errors.js';
import type { FittedFewShot } from './fewshot-model.js';
import { checkSupport, zeroShotOnSupport, type SupportData } from './support.js';

/** Zero-shot class vectors unchanged, with the softmax temperature fitted (NLL) on the labelled examples. */
export function fitZeroShotCalibrated(d: SupportData): FittedFewShot {
  checkSupport(d);
  const zs = zeroShotOnSupport(d);
  if (!d.zeroShot || !zs) throw new InputError('calibrated zero-shot needs class names (a text prior)');
  return { params: { method: 'zeroshot', weights: d.zeroShot }, temperature: zs.temperature, info: {} };
}
