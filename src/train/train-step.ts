import { infoNceLoss, sameImageMask, sigmoidLoss } from '../model/losses.js';
import type { SeedSource } from '../model/layers.js';
import { tf } from '../model/tf.js';
import type { TokenIds, VlmModel } from '../model/vlm-model.js';
import { scatterRows, type AdamW, type SparseAdamW } from './adamw.js';

let stepUid = 0;

/** One training batch: per-input feature matrices [B, dim_i], the captions' tokens, and which image each row shows. */
export interface Batch {
  size: number;
  inputs: Float32Array[];
  tokens: TokenIds;
  /** Image identity per row (duplicates are masked in the loss). */
  imageIds: Int32Array;
}

export interface StepResult {
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  logitScale: number;
}

/**
 * Forward + backward + update. The token rows enter as a temporary variable so their gradient comes back
 * dense [B, T, word_dim]; it is scatter-added into the table rows in JS (no gather gradient on wasm).
 * Gradients are clipped by their global norm (dense params and touched embedding rows together).
 */
export function trainStep(
  model: VlmModel,
  batch: Batch,
  opt: { dense: AdamW; sparse: SparseAdamW; lr: number; lrEmbeddings: number; gradClip: number; seed: SeedSource },
): StepResult {
  const cfg = model.config;
  const B = batch.size;
  const T = batch.tokens.length;
  const tokenInit = model.tokenTensor(batch.tokens);
  const tokensVar = tf.variable(tokenInit, true, `tokens#${stepUid++}`);
  tokenInit.dispose();
  const vars = model.params.trainableVars();
  const names = [...model.params.trainable];
  const dupMask = sameImageMask(batch.imageIds);
  const { value, grads } = tf.variableGrads(() => {
    const inputs = batch.inputs.map((x, i) => tf.tensor2d(x, [B, cfg.image.inputs[i].dim]));
    const mask = tf.tensor2d(batch.tokens.mask, [B, T]);
    const img = model.imageForward(inputs, true, opt.seed);
    const txt = model.textForward(tokensVar as tf.Tensor as tf.Tensor3D, mask, true, opt.seed);
    const dup = dupMask ? tf.tensor2d(dupMask, [B, B]) : undefined;
    const scale = model.logitScale();
    return cfg.loss.type === 'infonce'
      ? infoNceLoss(img, txt, scale, dup)
      : sigmoidLoss(img, txt, scale, model.params.get('logit_bias'), dup);
  }, [...vars, tokensVar]);

  const loss = value.dataSync()[0];
  value.dispose();
  const tokenGrad = grads[tokensVar.name].dataSync() as Float32Array;
  tokensVar.dispose();
  grads[tokensVar.name].dispose();

  // Only real tokens carry gradient into the table (padding rows are never read by the pooled output).
  const ids = batch.tokens.ids.map((id, i) => (batch.tokens.mask[i] > 0 ? id : -1));
  const emb = model.embedding;
  const rowGrads = scatterRows(ids, tokenGrad, emb.dim, (r) => r >= 0 && emb.isTrainable(r));

  let sq = tf.tidy(() => tf.addN(names.map((n) => tf.sum(tf.square(grads[vars[names.indexOf(n)].name])))).dataSync()[0]);
  for (const g of rowGrads.values()) for (let j = 0; j < g.length; j++) sq += g[j] * g[j];
  const gradNorm = Math.sqrt(sq);
  const clip = opt.gradClip > 0 && gradNorm > opt.gradClip ? opt.gradClip / gradNorm : 1;

  const named = new Map<string, tf.Tensor>();
  names.forEach((n, i) => {
    const g = grads[vars[i].name];
    named.set(n, clip === 1 ? g : tf.tidy(() => tf.mul(g, clip)));
  });
  if (clip !== 1) for (const g of rowGrads.values()) for (let j = 0; j < g.length; j++) g[j] *= clip;
  opt.dense.apply(named, opt.lr);
  opt.sparse.apply(rowGrads, opt.lrEmbeddings);
  for (const v of vars) grads[v.name].dispose();
  if (clip !== 1) for (const g of named.values()) g.dispose();

  // CLIP clamps the temperature parameter itself, so it cannot drift past the cap while the forward clamps.
  const ls = model.params.get('logit_scale');
  const cap = Math.log(cfg.loss.logit_scale_max);
  const lsVal = ls.dataSync()[0];
  if (lsVal > cap) ls.assign(tf.scalar(cap));
  return { loss, gradNorm, logitScale: Math.exp(Math.min(lsVal, cap)) };
}
