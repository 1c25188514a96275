import type { ImageInput } from '../image/types.js';
import { NUM_COCO_CLASSES } from './detector-labels.js';
import { candidatesOf, CENTERNET_INPUT, centernetPixels, type CenternetOutput } from './detector-input.js';
import { tf } from './tf.js';

export { CENTERNET_INPUT, type Candidate, type CenternetOutput } from './detector-input.js';

/** The centernet graph on tfjs-wasm (the fallback; detector-onnx.ts runs the same graph on onnxruntime). */
export async function runCenternet(model: tf.GraphModel, image: ImageInput): Promise<CenternetOutput> {
  const px = await centernetPixels(image);
  const [detT, classMaxT] = tf.tidy(() => {
    const pixels = tf.tensor4d(px.data instanceof Float32Array ? px.data : Float32Array.from(px.data), [1, px.height, px.width, 3]);
    // Stretched, not letterboxed: human feeds the detector this way.
    const input = tf.image.resizeBilinear(pixels, [CENTERNET_INPUT, CENTERNET_INPUT]);
    const [det, heat] = model.execute(input, ['tower_0/detections', 'tower_0/keypoints']) as tf.Tensor[];
    return [det, heat.reshape([-1, NUM_COCO_CLASSES]).max(0)];
  });
  const [det, classMax] = await Promise.all([detT.data() as Promise<Float32Array>, classMaxT.data() as Promise<Float32Array>]);
  tf.dispose([detT, classMaxT]);
  return { candidates: candidatesOf(det), classMax };
}
