import type { ImageInput } from '../image/types.js';
import { DEFAULT_COUNT_THRESHOLD, DETECTION_FEATURE_DIM } from './detector-cache.js';
import { countByClass, NUM_COCO_CLASSES, type Detector } from './detector.js';

export { loadDetector } from './detector.js';

/**
 * The 160 floats a model's 'detector' image input takes, exactly as the training cache holds them
 * (scripts/cache-detections.ts): [0, 80) max heatmap score per COCO class, [80, 160) count of detections
 * scoring >= countThreshold. Training and inference share this one function so they cannot drift apart.
 */
export async function detectorFeatureRow(detector: Detector, image: ImageInput, countThreshold = DEFAULT_COUNT_THRESHOLD): Promise<Float32Array> {
  const { detections, classScores } = await detector.analyze(image, { minScore: countThreshold, maxDetections: 100 });
  const row = new Float32Array(DETECTION_FEATURE_DIM);
  row.set(classScores, 0);
  row.set(countByClass(detections, countThreshold), NUM_COCO_CLASSES);
  return row;
}
