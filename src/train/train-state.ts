import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../model/safetensors.js';
import { tf } from '../model/tf.js';
import type { VlmModel } from '../model/vlm-model.js';
import { VlmError } from '../util/errors.js';
import type { AdamW, SparseAdamW } from './adamw.js';
import type { RetrievalReport } from './evaluate.js';

/** Where a run stands; saved with the weights so `--resume` continues mid-epoch. */
export interface TrainProgress {
  /** Epoch being run (0-based) and batches of it already done. */
  epoch: number;
  batchInEpoch: number;
  /** Running sum and count of the current epoch's batch losses. */
  epochLoss?: { sum: number; n: number };
  /** Optimizer steps taken so far. */
  step: number;
  totalSteps: number;
  bestMetric: number;
  bestEpoch: number;
  badEpochs: number;
  /** Training wall time so far, summed over resumed sessions. */
  elapsedMs: number;
  finished: boolean;
  stopReason?: string;
  history: { epoch: number; step: number; trainLoss: number; dev: RetrievalReport; elapsedMs: number }[];
}

const STATE_FILE = 'state.safetensors';

export function hasTrainState(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE));
}

/**
 * Everything needed to continue: weights, both optimizers' moments and step counts, the token table and
 * which of its rows train, and the progress record. One file, written atomically (temp + rename).
 */
export function saveTrainState(dir: string, model: VlmModel, dense: AdamW, sparse: SparseAdamW, progress: TrainProgress, configJson: string): void {
  const t = new Map<string, SafeTensor>();
  const f32 = (v: tf.Tensor): SafeTensor => ({ dtype: 'F32', shape: [...v.shape], data: v.dataSync() as Float32Array });
  for (const [name, v] of model.params.vars) t.set(`param/${name}`, f32(v));
  for (const [name, v] of dense.m) t.set(`adam_m/${name}`, f32(v));
  for (const [name, v] of dense.v) t.set(`adam_v/${name}`, f32(v));
  const emb = model.embedding;
  t.set('embedding', { dtype: 'F32', shape: [emb.rows, emb.dim], data: emb.data });
  t.set('embedding_m', { dtype: 'F32', shape: [emb.rows, emb.dim], data: sparse.m });
  t.set('embedding_v', { dtype: 'F32', shape: [emb.rows, emb.dim], data: sparse.v });
  if (emb.trainableRows) t.set('embedding_trainable', { dtype: 'I32', shape: [emb.rows], data: Int32Array.from(emb.trainableRows) });
  writeSafetensors(join(dir, STATE_FILE), t, {
    progress: JSON.stringify(progress),
    config: configJson,
    dense_step: String(dense.step),
    sparse_step: String(sparse.step),
  });
}

/** Restore a state into a freshly built model + optimizers (same config); returns the progress record. */
export function loadTrainState(dir: string, model: VlmModel, dense: AdamW, sparse: SparseAdamW, configJson: string): TrainProgress {
  const path = join(dir, STATE_FILE);
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.config !== configJson) {
    throw new VlmError(`${path} was written for a different config; start over without --resume (or use a new --out)`);
  }
  const need = (name: string): SafeTensor => {
    const x = tensors.get(name);
    if (!x) throw new VlmError(`${path} lacks ${name}; the state file is damaged, start over without --resume`);
    return x;
  };
  const assign = (v: tf.Variable, s: SafeTensor) => v.assign(tf.tensor(s.data as Float32Array, s.shape));
  for (const [name, v] of model.params.vars) assign(v, need(`param/${name}`));
  for (const [name, v] of dense.m) assign(v, need(`adam_m/${name}`));
  for (const [name, v] of dense.v) assign(v, need(`adam_v/${name}`));
  model.embedding.data.set(need('embedding').data as Float32Array);
  sparse.m.set(need('embedding_m').data as Float32Array);
  sparse.v.set(need('embedding_v').data as Float32Array);
  const tr = tensors.get('embedding_trainable');
  if (tr && model.embedding.trainableRows) model.embedding.trainableRows.set(tr.data as Int32Array);
  dense.step = Number(metadata.dense_step);
  sparse.step = Number(metadata.sparse_step);
  return JSON.parse(metadata.progress) as TrainProgress;
}
