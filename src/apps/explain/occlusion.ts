/**
 * Occlusion sensitivity (Zeiler & Fergus 2014), model-agnostic: it only calls Encoder.embedImages, so it
 * explains our default model and pretrained ONNX checkpoints alike. A patch of grey (or of a blurred copy)
 * slides over the image; a region's relevance is how much the image-text similarity drops, on average,
 * when patches covering it hide it.
 */
import { dot, type Encoder } from '../../encoders/encoder.js';
import type { RgbImage } from '../../image/types.js';
import { heatmap, type Heatmap } from './heatmap.js';
import { blurred, cellRect, grey, pasteRegions } from './image-ops.js';

export type OcclusionFill = 'grey' | 'blur';

export interface OcclusionOptions {
  /** cells per side of the output grid (default 6: 49 encoder calls for patch 2) */
  cells?: number;
  /** patch side in cells (default 2): patches step one cell, so each cell is hidden by patch^2 patches */
  patch?: number;
  /** what a hidden patch shows (default blur: a blurred copy of the image, closer to what the model was trained on than grey squares) */
  fill?: OcclusionFill;
  /** images per encoder call (default 32) */
  batchSize?: number;
}

export interface OcclusionResult {
  /** similarity drop per cell (positive: hiding the region lowers the match) */
  map: Heatmap;
  /** similarity of the whole image and the text */
  similarity: number;
  /** images embedded */
  evaluations: number;
}

/** `text` is the text's embedding (from the same encoder). */
export async function occlusionMap(encoder: Encoder, image: RgbImage, text: Float32Array, opts: OcclusionOptions = {}): Promise<OcclusionResult> {
  const cells = opts.cells ?? 6;
  const patch = opts.patch ?? 2;
  const batchSize = opts.batchSize ?? 32;
  if (!(Number.isInteger(cells) && cells >= 2 && Number.isInteger(patch) && patch >= 1 && patch <= cells)) {
    throw new RangeError(`occlusion: need integer cells >= 2 and 1 <= patch <= cells, got ${cells} and ${patch}`);
  }
  const fill = opts.fill === 'grey' ? grey(image) : await blurred(image);
  // Patches start from -(patch-1) so border cells are hidden as often as central ones.
  const origins: [number, number][] = [];
  for (let r = 1 - patch; r < cells; r++) for (let c = 1 - patch; c < cells; c++) origins.push([r, c]);
  const rectOf = ([r, c]: [number, number]) => {
    const a = cellRect(image, cells, cells, Math.max(r, 0), Math.max(c, 0));
    const b = cellRect(image, cells, cells, Math.min(r + patch, cells) - 1, Math.min(c + patch, cells) - 1);
    return { x0: a.x0, y0: a.y0, x1: b.x1, y1: b.y1 };
  };
  const [base] = await encoder.embedImages([image]);
  const similarity = dot(base, text);
  const sum = new Float64Array(cells * cells);
  const count = new Float64Array(cells * cells);
  for (let start = 0; start < origins.length; start += batchSize) {
    const chunk = origins.slice(start, start + batchSize);
    const embs = await encoder.embedImages(chunk.map((o) => pasteRegions(image, fill, [rectOf(o)])));
    chunk.forEach(([r0, c0], i) => {
      const drop = similarity - dot(embs[i], text);
      for (let r = Math.max(r0, 0); r < Math.min(r0 + patch, cells); r++) {
        for (let c = Math.max(c0, 0); c < Math.min(c0 + patch, cells); c++) {
          sum[r * cells + c] += drop;
          count[r * cells + c]++;
        }
      }
    });
  }
  const map = heatmap(cells, cells, Array.from(sum, (s, i) => s / count[i]));
  return { map, similarity, evaluations: origins.length + 1 };
}
