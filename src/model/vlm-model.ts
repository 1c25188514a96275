import { VlmError } from '../util/errors.js';
import { imageInputKey, type ModelConfig } from './config.js';
import { defineImageHead, imageHeadForward } from './image-head.js';
import { l2normalizeRows, type SeedSource } from './layers.js';
import { ParamSet } from './params.js';
import { defineTextTower, textTowerForward } from './text-tower.js';
import { tf } from './tf.js';
import type { TokenEmbedding } from './token-embedding.js';

/** Token ids and mask of a padded batch (the layout MixedTokenizer.encodeBatch returns). */
export interface TokenIds {
  ids: Int32Array;
  mask: Float32Array;
  /** Padded length T. */
  length: number;
}

/**
 * The dual encoder: image head over frozen features + text Transformer, both into one L2-normalised
 * embed_dim space, and the loss's learnable temperature (and bias, for the sigmoid loss).
 * Everything trainable lives in `params` except the token table (see token-embedding.ts).
 */
export class VlmModel {
  readonly params = new ParamSet();

  constructor(readonly config: ModelConfig, readonly embedding: TokenEmbedding, rng: () => number) {
    if (embedding.dim !== config.text.word_dim) throw new VlmError(`token embedding width ${embedding.dim} != text.word_dim ${config.text.word_dim}`);
    defineImageHead(this.params, config.image, config.embed_dim, rng);
    defineTextTower(this.params, config.text, config.embed_dim, rng);
    this.params.add('logit_scale', [], new Float32Array([config.loss.logit_scale_init]), { trainable: config.loss.learn_scale });
    if (config.loss.type === 'sigmoid') this.params.add('logit_bias', [], new Float32Array([config.loss.logit_bias_init]));
  }

  /** exp(logit_scale), clamped at loss.logit_scale_max (CLIP clamps at 100). */
  logitScale(): tf.Scalar {
    return tf.exp(tf.minimum(this.params.get('logit_scale'), Math.log(this.config.loss.logit_scale_max))) as tf.Scalar;
  }

  /** Per-input feature tensors [B, dim_i] -> L2-normalised [B, embed_dim]. */
  imageForward(inputs: tf.Tensor2D[], training: boolean, seed?: SeedSource): tf.Tensor2D {
    return l2normalizeRows(imageHeadForward(this.params, this.config.image, inputs, training, seed));
  }

  /** Gathered token rows [B, T, word_dim] + mask [B, T] -> L2-normalised [B, embed_dim]. */
  textForward(tokens: tf.Tensor3D, mask: tf.Tensor2D, training: boolean, seed?: SeedSource): tf.Tensor2D {
    return l2normalizeRows(textTowerForward(this.params, this.config.text, tokens, mask, training, seed));
  }

  /** The token rows of a batch as a tensor [B, T, word_dim] (caller disposes). */
  tokenTensor(batch: TokenIds): tf.Tensor3D {
    const B = batch.ids.length / batch.length;
    return tf.tensor3d(this.embedding.gather(batch.ids), [B, batch.length, this.embedding.dim]);
  }

  /** Inference: text embeddings for an encoded batch, one Float32Array per row. */
  embedTokenIds(batch: TokenIds): Float32Array[] {
    if (batch.length > this.config.text.max_length) {
      throw new VlmError(`token batch length ${batch.length} exceeds text.max_length ${this.config.text.max_length}`);
    }
    const B = batch.ids.length / batch.length;
    const out = tf.tidy(() => {
      const tokens = this.tokenTensor(batch);
      const mask = tf.tensor2d(batch.mask, [B, batch.length]);
      return this.textForward(tokens, mask, false);
    });
    return splitRows(out);
  }

  /**
   * Inference: image embeddings from per-input features, each input given as one matrix [n, dim]
   * in config.image.inputs order.
   */
  embedFeatureMatrices(inputs: Float32Array[], n: number): Float32Array[] {
    const specs = this.config.image.inputs;
    if (inputs.length !== specs.length) throw new VlmError(`expected ${specs.length} image inputs (${specs.map(imageInputKey).join(', ')}), got ${inputs.length}`);
    const out = tf.tidy(() => {
      const ts = inputs.map((x, i) => {
        if (x.length !== n * specs[i].dim) throw new VlmError(`image input ${imageInputKey(specs[i])}: ${x.length} values for ${n} x ${specs[i].dim}`);
        return tf.tensor2d(x, [n, specs[i].dim]);
      });
      return this.imageForward(ts, false);
    });
    return splitRows(out);
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** [n, d] tensor -> n Float32Arrays (copies, so callers may keep them); disposes the tensor. */
export function splitRows(t: tf.Tensor2D): Float32Array[] {
  const [n, d] = t.shape;
  const flat = t.dataSync() as Float32Array;
  t.dispose();
  return Array.from({ length: n }, (_, i) => flat.slice(i * d, (i + 1) * d));
}
