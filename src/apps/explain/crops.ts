/**
 * Crop similarity, model-agnostic like occlusion but the other way round: instead of hiding a window, show only
 * the window, enlarged to the encoder's input. A small object then fills the view the way whole-image training
 * photos fill it, so the model recognises it at the scale it knows. A cell's relevance is the mean image-text
 * similarity of the windows that contain it.
 */
import { dot, type Encoder } from '../../encoders/encoder.js';
import type { RgbImage } from '../../image/types.js';
import { heatmap, type Heatmap } from './heatmap.js';
import { cellRect, type Rect } from './image-ops.js';

export interface CropOptions {
  /** cells per side of the output grid (default 6) */
  cells?: number;
  /** window side in cells (default 2): windows step one cell, (cells - span + 1)^2 encoder calls */
  span?: number;
  /** images per encoder call (default 32) */
  batchSize?: number;
}

export interface CropResult {
  /** mean similarity of the windows covering each cell */
  map: Heatmap;
  /** images embedded */
  evaluations: number;
}

/** The pixels inside `r` as their own image. */
export function cropRect(img: RgbImage, r: Rect): RgbImage {
  const w = r.x1 - r.x0, h = r.y1 - r.y0;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(((r.y0 + y) * img.width + r.x0) * 3, ((r.y0 + y) * img.width + r.x1) * 3), y * w * 3);
  return { width: w, height: h, data };
}

/** `text` is the text's embedding (from the same encoder). */
export async function cropMap(encoder: Encoder, image: RgbImage, text: Float32Array, opts: CropOptions = {}): Promise<CropResult> {
  const cells = opts.cells ?? 6;
  const span = opts.span ?? 2;
  const batchSize = opts.batchSize ?? 32;
  if (!(Number.isInteger(cells) && cells >= 2 && Number.isInteger(span) && span >= 1 && span < cells)) {
    throw new RangeError(`crops: need integer cells >= 2 and 1 <= span < cells, got ${cells} and ${span}`);
  }
  const origins: [number, number][] = [];
  for (let r = 0; r + span <= cells; r++) for (let c = 0; c + span <= cells; c++) origins.push([r, c]);
  const sum = new Float64Array(cells * cells);
  const count = new Float64Array(cells * cells);
  for (let start = 0; start < origins.length; start += batchSize) {
    const chunk = origins.slice(start, start + batchSize);
    const embs = await encoder.embedImages(chunk.map(([r, c]) => {
      const a = cellRect(image, cells, cells, r, c), b = cellRect(image, cells, cells, r + span - 1, c + span - 1);
      return cropRect(image, { x0: a.x0, y0: a.y0, x1: b.x1, y1: b.y1 });
    }));
    chunk.forEach(([r0, c0], i) => {
      const s = dot(embs[i], text);
      for (let r = r0; r < r0 + span; r++) {
        for (let c = c0; c < c0 + span; c++) {
          sum[r * cells + c] += s;
          count[r * cells + c]++;
        }
      }
    });
  }
  return { map: heatmap(cells, cells, Array.from(sum, (s, i) => s / count[i])), evaluations: origins.length };
}
