import { InputError } from '../../util/errors.js';
import { mulABt, type Mat } from './matrix.js';
import { fitTemperature } from './calibrate.js';

/** What every few-shot method learns from: labelled, L2-normalised embeddings and an optional text prior. */
export interface SupportData {
  /** n x dim, rows L2-normalised. */
  X: Mat;
  /** Class index of each row. */
  y: number[];
  classes: number;
  /** classes x dim zero-shot class vectors (unit rows) from the label names, or null (no text prior). */
  zeroShot: Mat | null;
  /** Seeds fold assignment: the same seed gives the same model. */
  seed?: number;
}

export function checkSupport(d: SupportData): void {
  if (d.X.rows === 0) throw new InputError('few-shot training needs at least one labelled example');
  if (d.y.length !== d.X.rows) throw new InputError(`${d.y.length} labels for ${d.X.rows} examples`);
  if (!(d.classes >= 2)) throw new InputError(`few-shot classification needs at least two classes (got ${d.classes})`);
  for (const c of d.y) if (!(Number.isInteger(c) && c >= 0 && c < d.classes)) throw new InputError(`label ${c} outside 0..${d.classes - 1}`);
  if (d.zeroShot && (d.zeroShot.rows !== d.classes || d.zeroShot.cols !== d.X.cols)) {
    throw new InputError(`zero-shot weights are ${d.zeroShot.rows} x ${d.zeroShot.cols}, expected ${d.classes} x ${d.X.cols}`);
  }
}

/**
 * Zero-shot cosines of the support set and the temperature that calibrates them there. The zero-shot
 * classifier has not seen these examples, so fitting one scalar on them is fair (and never on test).
 */
export function zeroShotOnSupport(d: SupportData): { cosines: Float64Array; temperature: number } | null {
  if (!d.zeroShot) return null;
  const cosines = mulABt(d.X, d.zeroShot);
  return { cosines, temperature: fitTemperature(cosines, d.classes, d.y) };
}

/** Held-out accuracy and mean NLL of logits (n x classes) against labels. */
export function scoreLogits(logits: Float64Array, classes: number, y: ArrayLike<number>): { accuracy: number; nll: number } {
  let ok = 0;
  let nll = 0;
  for (let i = 0; i < y.length; i++) {
    const o = i * classes;
    let best = 0;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      if (logits[o + c] > max) {
        max = logits[o + c];
        best = c;
      }
    }
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[o + c] - max);
    nll += max + Math.log(s) - logits[o + y[i]];
    if (best === y[i]) ok++;
  }
  return { accuracy: ok / y.length, nll: nll / y.length };
}

/** Is candidate a better cross-validation score than best: higher accuracy, then lower NLL. */
export function better(a: { accuracy: number; nll: number }, b: { accuracy: number; nll: number } | undefined): boolean {
  if (!b) return true;
  if (a.accuracy !== b.accuracy) return a.accuracy > b.accuracy;
  return a.nll < b.nll;
}
