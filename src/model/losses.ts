import { matmul } from './matmul.js';
import { tf } from './tf.js';

/**
 * Contrastive losses over a batch of B matched (image, text) pairs, both L2-normalised [B, D].
 * `sameImage` (optional, [B, B], 1 where i != j but both rows show the same image) marks in-batch
 * duplicates: they are true pairs, so InfoNCE must not push them apart and SigLIP counts them as positives.
 */

/** Image-text cosine similarities scaled by `scale`: logits[i][j] = scale * img_i . txt_j. */
export function pairLogits(img: tf.Tensor2D, txt: tf.Tensor2D, scale: tf.Tensor): tf.Tensor2D {
  return tf.mul(matmul(img, tf.transpose(txt)), scale) as tf.Tensor2D;
}

/**
 * Symmetric InfoNCE (CLIP): mean of cross-entropy image->text (rows) and text->image (columns),
 * target = the diagonal.
 */
export function infoNceLoss(img: tf.Tensor2D, txt: tf.Tensor2D, scale: tf.Tensor, sameImage?: tf.Tensor2D): tf.Scalar {
  const B = img.shape[0];
  let logits: tf.Tensor2D = pairLogits(img, txt, scale);
  if (sameImage) logits = tf.add(logits, tf.mul(sameImage, -1e4)) as tf.Tensor2D;
  const eye = tf.eye(B);
  const rows = tf.sum(tf.mul(tf.logSoftmax(logits, -1), eye));
  const cols = tf.sum(tf.mul(tf.logSoftmax(tf.transpose(logits), -1), eye));
  return tf.div(tf.add(rows, cols), -2 * B) as tf.Scalar;
}

/**
 * Sigmoid loss (SigLIP): every pair is a binary problem, label +1 for matching pairs and -1 otherwise,
 * logit = scale * cos + bias; summed over the B x B pairs and divided by B (as in the paper).
 */
export function sigmoidLoss(img: tf.Tensor2D, txt: tf.Tensor2D, scale: tf.Tensor, bias: tf.Tensor, sameImage?: tf.Tensor2D): tf.Scalar {
  const B = img.shape[0];
  const logits = tf.add(pairLogits(img, txt, scale), bias);
  let pos: tf.Tensor = tf.eye(B);
  if (sameImage) pos = tf.add(pos, sameImage);
  const labels = tf.sub(tf.mul(pos, 2), 1);
  // -log sigmoid(z) = softplus(-z); tf.logSigmoid's custom gradient breaks on wasm (reads a disposed tensor).
  return tf.div(tf.sum(tf.softplus(tf.neg(tf.mul(labels, logits)))), B) as tf.Scalar;
}

/** [B, B] matrix with 1 where rows i != j come from the same image, or undefined when the batch has none. */
export function sameImageMask(imageIds: ArrayLike<number>): Float32Array | undefined {
  const B = imageIds.length;
  let any = false;
  const m = new Float32Array(B * B);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < B; j++) {
      if (i !== j && imageIds[i] === imageIds[j]) {
        m[i * B + j] = 1;
        any = true;
      }
    }
  }
  return any ? m : undefined;
}
