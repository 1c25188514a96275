/**
 * Faithfulness of a heatmap, measured (Petsiuk et al. 2018, RISE): remove the regions it ranks highest first
 * and watch the image-text similarity fall (deletion: lower area is better), or start from a blurred image
 * and put them back first (insertion: higher area is better). Regions are the cells of one common grid, so
 * maps of any resolution are compared on equal terms; a random map is the baseline.
 */
import { dot, type Encoder } from '../encoders/encoder.js';
import type { RgbImage } from '../image/types.js';
import { resample, type Heatmap } from '../apps/explain/heatmap.js';
import { blurred, cellRect, grey, pasteRegions } from '../apps/explain/image-ops.js';

export interface CurveOptions {
  /** cells per side of the common grid (default 14) */
  grid?: number;
  /** points along each curve besides the start (default 8: 0, 1/8, ..., 1 of the cells) */
  steps?: number;
  /** what a removed region shows in deletion curves (default blur: grey squares scattered over a photo are
   * themselves a strong, out-of-distribution signal that favours scattered maps such as a random one) */
  deletionFill?: 'grey' | 'blur';
}

export interface Curves {
  /** similarity after removing the first k/steps of the cells, k = 0..steps, per map */
  deletion: number[][];
  /** similarity of the blurred image with the first k/steps of the cells restored, per map */
  insertion: number[][];
}

/** Area under a curve sampled at evenly spaced x in [0, 1] (trapezoid rule). */
export function auc(ys: number[]): number {
  if (ys.length < 2) return ys[0] ?? 0;
  let s = 0;
  for (let i = 1; i < ys.length; i++) s += (ys[i - 1] + ys[i]) / 2;
  return s / (ys.length - 1);
}

/** Cell indices from the highest value to the lowest (ties keep grid order). */
export function rankCells(map: Heatmap, grid: number): number[] {
  const v = resample(map, grid, grid).values;
  return Array.from(v.keys()).sort((a, b) => v[b] - v[a] || a - b);
}

/** Deletion (to a blur, or grey) and insertion (from a blur) curves of several maps for one image and text embedding. */
export async function deletionInsertion(encoder: Encoder, image: RgbImage, text: Float32Array, maps: Heatmap[], opts: CurveOptions = {}): Promise<Curves> {
  const grid = opts.grid ?? 14;
  const steps = opts.steps ?? 8;
  const blur = await blurred(image);
  const empty = opts.deletionFill === 'grey' ? grey(image) : blur;
  const rects = Array.from({ length: grid * grid }, (_, i) => cellRect(image, grid, grid, Math.floor(i / grid), i % grid));
  // the end points are the same for every map: the image, all grey, the blur
  const images: RgbImage[] = [image, empty, blur];
  const index: { del: number[]; ins: number[] }[] = [];
  for (const map of maps) {
    const order = rankCells(map, grid);
    const del = [0], ins = [2];
    for (let k = 1; k < steps; k++) {
      const chosen = order.slice(0, Math.round((k / steps) * grid * grid)).map((i) => rects[i]);
      del.push(images.push(pasteRegions(image, empty, chosen)) - 1);
      ins.push(images.push(pasteRegions(blur, image, chosen)) - 1);
    }
    del.push(1);
    ins.push(0);
    index.push({ del, ins });
  }
  const sims: number[] = [];
  for (let s = 0; s < images.length; s += 32) for (const e of await encoder.embedImages(images.slice(s, s + 32))) sims.push(dot(e, text));
  return { deletion: index.map((x) => x.del.map((i) => sims[i])), insertion: index.map((x) => x.ins.map((i) => sims[i])) };
}
