import { decodeImage } from '../image/decode.js';
import { preprocessImage } from '../image/preprocess.js';
import type { ImageInput } from '../image/types.js';
import { NUM_COCO_CLASSES } from './detector-labels.js';
import type { ScoredBox } from './detector-nms.js';

/** One raw centernet candidate: box corners normalised to 0..1, 0-based COCO class id. */
export type Candidate = ScoredBox;

export interface CenternetOutput {
  /** The graph's own top-100 heatmap peaks (it does the 3x3 max-pool peak picking and top-k inside). */
  candidates: Candidate[];
  /** Per class, the highest heatmap probability anywhere in the image (not limited to the top 100). */
  classMax: Float32Array;
}

/** MB3-CenterNet from @vladmandic/human: 512x512 RGB in 0..255, 128x128 heatmaps. The graph accepts no other size. */
export const CENTERNET_INPUT = 512;

/** Larger images are first shrunk (antialiased, by libvips) so their longer side is this. */
const PRESHRINK_TO = 2 * CENTERNET_INPUT;

/**
 * The image as 0..255 values, HWC, before the stretch to 512x512 (which both runtimes do as tf.image.resizeBilinear).
 * Up to 1024 px the pixels go to the bilinear resize untouched, as human feeds them (measured: sharp's smoother
 * resampling lowers scores, e.g. a dog 0.40 -> 0.26). Beyond that, bilinear without antialiasing would sample a
 * 12 MP photo sparsely and alias badly, so shrink it properly first.
 */
export async function centernetPixels(image: ImageInput): Promise<{ data: Float32Array | Uint8Array; width: number; height: number }> {
  const rgb = await decodeImage(image);
  const longer = Math.max(rgb.width, rgb.height);
  if (longer <= PRESHRINK_TO) return rgb;
  const width = Math.max(1, Math.round((rgb.width * PRESHRINK_TO) / longer));
  const height = Math.max(1, Math.round((rgb.height * PRESHRINK_TO) / longer));
  const data = await preprocessImage(rgb, { width, height, resize: 'squash', scale: 1, layout: 'nhwc', kernel: 'linear' });
  return { data, width, height };
}

/** The graph's detections [100 x (x1, y1, x2, y2, score, class)] in 512-px input space -> candidates in 0..1. */
export function candidatesOf(det: Float32Array): Candidate[] {
  const candidates: Candidate[] = [];
  for (let i = 0; i + 6 <= det.length; i += 6) {
    const classId = det[i + 5];
    if (!Number.isInteger(classId) || classId < 0 || classId >= NUM_COCO_CLASSES) continue;
    const clip = (v: number) => Math.min(1, Math.max(0, v / CENTERNET_INPUT));
    candidates.push({ x1: clip(det[i]), y1: clip(det[i + 1]), x2: clip(det[i + 2]), y2: clip(det[i + 3]), score: det[i + 4], classId });
  }
  return candidates;
}
