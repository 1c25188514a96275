import { NUM_COCO_CLASSES } from './detector-labels.js';
import { tf } from './tf.js';
import type { RgbImage } from '../image/types.js';

/** One raw centernet candidate: box corners normalised to 0..1, 0-based COCO class id. */
export interface Candidate {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classId: number;
}

export interface CenternetOutput {
  /** The graph's own top-100 heatmap peaks (it does the 3x3 max-pool peak picking and top-k inside). */
  candidates: Candidate[];
  /** Per class, the highest heatmap probability anywhere in the image (not limited to the top 100). */
  classMax: Float32Array;
}

/** MB3-CenterNet from @vladmandic/human: 512x512 RGB in 0..255 (stretched, as human feeds it), 128x128 heatmaps. */
export const CENTERNET_INPUT = 512;

export async function runCenternet(model: tf.GraphModel, image: RgbImage): Promise<CenternetOutput> {
  const [detT, classMaxT] = tf.tidy(() => {
    const pixels = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32').toFloat();
    const input = tf.image.resizeBilinear(pixels.expandDims(0) as tf.Tensor4D, [CENTERNET_INPUT, CENTERNET_INPUT]);
    const [det, heat] = model.execute(input, ['tower_0/detections', 'tower_0/keypoints']) as tf.Tensor[];
    return [det, heat.reshape([-1, NUM_COCO_CLASSES]).max(0)];
  });
  const [det, classMax] = await Promise.all([detT.data() as Promise<Float32Array>, classMaxT.data() as Promise<Float32Array>]);
  tf.dispose([detT, classMaxT]);
  const candidates: Candidate[] = [];
  for (let i = 0; i + 6 <= det.length; i += 6) {
    const classId = det[i + 5];
    if (!Number.isInteger(classId) || classId < 0 || classId >= NUM_COCO_CLASSES) continue;
    const clip = (v: number) => Math.min(1, Math.max(0, v / CENTERNET_INPUT));
    candidates.push({ x1: clip(det[i]), y1: clip(det[i + 1]), x2: clip(det[i + 2]), y2: clip(det[i + 3]), score: det[i + 4], classId });
  }
  return { candidates, classMax };
}
