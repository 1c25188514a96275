import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OptimizerConfig } from '../model/config.js';
import type { CaptionDecoderConfig } from '../model/caption-config.js';
import { beamSearch } from '../model/caption-beam.js';
import { copyCaptionWeights, createCaptionModel, loadCaptionModel, saveCaptionModel, type CaptionModel } from '../model/caption-model.js';
import { CaptionVocab, type CaptionLang } from '../model/caption-vocab.js';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../model/safetensors.js';
import { initTf, tf } from '../model/tf.js';
import { scoreCaptions, type CaptionScores } from '../eval/caption-metrics/index.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import { progress } from '../util/progress.js';
import { log } from '../util/log.js';
import { VlmError } from '../util/errors.js';
import { AdamW, SparseAdamW } from './adamw.js';
import { captionLoss, captionTrainStep, packIds, shiftBatch, type CaptionBatch, type CaptionStepResult } from './caption-step.js';
export { packIds } from './caption-step.js';
import { DecoderRows, loadCaptionSplit, MapRows, type CaptionSplit } from './caption-data.js';
import { scstBatch, scstReferences } from './caption-scst.js';
import { lrAt } from './schedule.js';

/** configs/caption.json */
export interface CaptionRecipe {
  name: string;
  model: Pick<CaptionDecoderConfig, 'tower' | 'tap' | 'd_model' | 'layers' | 'heads' | 'mlp_ratio' | 'dropout' | 'max_length' | 'detector'>;
  training: OptimizerConfig & {
    langs: CaptionLang[];
    min_count: number;
    seed: number;
    images_per_batch: number;
    /** Captions per image in a batch, all of one language (they share the image's memory, computed once). */
    captions_per_image: number;
    /** Content tokens kept per training caption (the long tail of long captions costs padding for every row). */
    train_max_tokens: number;
    /** Dev check (and best-model selection, early stopping) every this many steps. */
    eval_every: number;
    flip_augment: boolean;
    epochs: number;
    max_minutes: number;
    label_smoothing: number;
    patience: number;
    dev_images: number;
    checkpoint_minutes: number;
    /** Stop after this many optimizer steps (pilot runs). */
    max_steps?: number;
    /**
     * Start from this caption decoder folder's weights (same vocabulary): every parameter of the same name and
     * shape is copied, new ones (e.g. the detector tokens) keep their random start.
     */
    init_from?: string;
    /**
     * "xent" (default): teacher forcing on the references. "scst": self-critical training on the decoder's own
     * samples, rewarded by CIDEr-D (caption-scst.ts); usually after xent, via init_from.
     */
    objective?: 'xent' | 'scst';
    /** Captions sampled per image for "scst" (the baseline is the mean of the others); default 5. */
    scst_samples?: number;
    /** "scst": the batch's reference captions (captions_per_image per image) also trained by teacher forcing at this weight per row (0: off). */
    scst_anchor?: number;
  };
}

export interface DevReport {
  loss: number;
  en?: CaptionScores;
  zh?: CaptionScores;
  /** Selection metric: mean CIDEr-D of greedy captions over the languages. */
  metric: number;
}

export interface CaptionProgress {
  epoch: number;
  batchInEpoch: number;
  step: number;
  totalSteps: number;
  elapsedMs: number;
  bestMetric: number;
  bestCheck: number;
  badChecks: number;
  finished: boolean;
  stopReason?: string;
  history: { epoch: number; step: number; trainLoss: number; trainNll: number; dev: DevReport; elapsedMs: number }[];
  epochLoss: { sum: number; nll: number; n: number };
}

const STATE = 'state.safetensors';

/** Budgets (time, steps, warmup length, dev checks) may change on --resume; everything else must match the saved state. */
const BUDGET_KEYS = ['max_minutes', 'max_steps', 'dev_images', 'epochs', 'warmup_steps', 'eval_every', 'checkpoint_minutes'];
function recipeIdentity(json: string): string {
  const r = JSON.parse(json) as CaptionRecipe;
  const t: Record<string, unknown> = { ...r.training };
  for (const k of BUDGET_KEYS) delete t[k];
  return JSON.stringify({ ...r, training: t });
}

function saveState(dir: string, model: CaptionModel, dense: AdamW, sparse: SparseAdamW, p: CaptionProgress, recipe: string): void {
  const t = new Map<string, SafeTensor>();
  const f32 = (v: tf.Tensor): SafeTensor => ({ dtype: 'F32', shape: [...v.shape], data: v.dataSync() as Float32Array });
  for (const [n, v] of model.params.vars) t.set(`param/${n}`, f32(v));
  for (const [n, v] of dense.m) t.set(`adam_m/${n}`, f32(v));
  for (const [n, v] of dense.v) t.set(`adam_v/${n}`, f32(v));
  const e = model.embedding;
  t.set('embedding', { dtype: 'F32', shape: [e.rows, e.dim], data: e.data });
  t.set('embedding_m', { dtype: 'F32', shape: [e.rows, e.dim], data: sparse.m });
  t.set('embedding_v', { dtype: 'F32', shape: [e.rows, e.dim], data: sparse.v });
  writeSafetensors(join(dir, STATE), t, { progress: JSON.stringify(p), recipe, dense_step: String(dense.step), sparse_step: String(sparse.step) });
}

function loadState(dir: string, model: CaptionModel, dense: AdamW, sparse: SparseAdamW, recipe: string): CaptionProgress {
  const path = join(dir, STATE);
  const { tensors, metadata } = readSafetensors(path);
  if (recipeIdentity(metadata.recipe) !== recipeIdentity(recipe)) throw new VlmError(`${path} was written for a different recipe; start over without --resume`);
  const need = (n: string) => {
    const x = tensors.get(n);
    if (!x) throw new VlmError(`${path} lacks ${n}; the state is damaged`);
    return x;
  };
  const put = (v: tf.Variable, s: SafeTensor) => v.assign(tf.tensor(s.data as Float32Array, s.shape));
  for (const [n, v] of model.params.vars) put(v, need(`param/${n}`));
  for (const [n, v] of dense.m) put(v, need(`adam_m/${n}`));
  for (const [n, v] of dense.v) put(v, need(`adam_v/${n}`));
  model.embedding.data.set(need('embedding').data as Float32Array);
  sparse.m.set(need('embedding_m').data as Float32Array);
  sparse.v.set(need('embedding_v').data as Float32Array);
  dense.step = Number(metadata.dense_step);
  sparse.step = Number(metadata.sparse_step);
  return JSON.parse(metadata.progress) as CaptionProgress;
}

/** Per-epoch image order and which caption (0..4) each image uses per language: reproducible from seed + epoch. */
function epochPlan(nImages: number, seed: number, epoch: number, langs: CaptionLang[], flip: boolean) {
  const rng = createRng((seed * 7919 + epoch * 104729) >>> 0);
  const order = shuffleInPlace(Array.from({ length: nImages }, (_, i) => i), rng);
  // A random rotation of the 5 captions per image and language: batches take the first k of it.
  const pick = langs.map(() => Array.from({ length: nImages }, () => shuffleInPlace([0, 1, 2, 3, 4], rng)));
  const flips = Array.from({ length: nImages }, () => flip && rng() < 0.5);
  return { order, pick, flips };
}

function devEval(model: CaptionModel, dev: CaptionSplit, maps: DecoderRows, n: number, langs: CaptionLang[], maxLen: number): DevReport {
  const names = dev.images.slice(0, n);
  // Teacher-forced loss (caption 0 of each language) and greedy captions scored against all 5 references.
  let lossSum = 0;
  let lossN = 0;
  const out: DevReport = { loss: 0, metric: 0 };
  const per = 50;
  const hyps: Record<string, string[]> = { en: [], zh: [] };
  for (let i = 0; i < names.length; i += per) {
    const part = names.slice(i, i + per);
    const rows = maps.gather(part);
    let nll = 0;
    for (const lang of langs) {
      const { ids, T } = packIds(part.map((_, j) => model.vocab.encode(dev.captions[lang][i + j][0], lang, maxLen)));
      const b: CaptionBatch = { maps: rows, images: part.length, rows: part.length, ids, T, lang };
      const { input, target, mask } = shiftBatch(b);
      nll += tf.tidy(() => {
        const x = tf.tensor3d(model.embedding.gather(input), [b.rows, T, model.config.d_model]);
        return captionLoss(model, b, x, target, mask, 0, false).nll.dataSync()[0];
      }) / langs.length;
    }
    lossSum += nll * part.length;
    lossN += part.length;
    const mapsList = part.map((_, j) => rows.subarray(j * maps.dim, (j + 1) * maps.dim));
    for (const lang of langs) hyps[lang].push(...beamSearch(model, mapsList, { lang, beam: 1, batch: per }).map((h) => h[0]?.text ?? ''));
  }
  out.loss = lossSum / Math.max(1, lossN);
  for (const lang of langs) out[lang] = scoreCaptions(hyps[lang], names.map((_, i) => dev.captions[lang][i]), lang);
  out.metric = langs.reduce((s, l) => s + out[l]!.ciderD, 0) / langs.length;
  return out;
}

/**
 * Train the caption decoder on cached tower maps (teacher forcing, label smoothing, AdamW with warmup + cosine,
 * gradient clipping). Resumable from runDir/state.safetensors; the best epoch by dev CIDEr-D (greedy, first
 * dev_images of the Flickr8k dev split, never test) is written to runDir/best/ and, at the end, to outDir.
 */
export async function trainCaptioner(recipe: CaptionRecipe, opts: { runDir: string; outDir?: string; resume?: boolean }): Promise<CaptionProgress> {
  await initTf();
  const tc = recipe.training;
  const recipeJson = JSON.stringify(recipe);
  mkdirSync(opts.runDir, { recursive: true });
  const train = loadCaptionSplit('train');
  const dev = loadCaptionSplit('dev');
  const vocab = CaptionVocab.build(
    tc.langs.flatMap((lang) => train.captions[lang].flatMap((cs) => cs.map((text) => ({ text, lang })))),
    tc.min_count,
  );
  log(`caption vocabulary: ${vocab.json.en.length} English words + ${vocab.json.zh.length} Chinese characters (min count ${tc.min_count})`);
  log('reading cached tower maps ...');
  const mapsOrig = new MapRows(recipe.model.tower, recipe.model.tap);
  const mapsFlip = tc.flip_augment ? new MapRows(recipe.model.tower, recipe.model.tap, { flip: true }) : undefined;
  const shape = mapsOrig.shape as [number, number, number];
  const inputs = new DecoderRows(mapsOrig, { map_shape: shape, detector: recipe.model.detector });
  const config: CaptionDecoderConfig = {
    format: 'vlm-caption-decoder',
    version: 1,
    ...recipe.model,
    map_shape: shape,
    vocab: vocab.json,
    decode: { beam: 3, length_alpha: 0.7, no_repeat_ngram: 3 },
    training: { recipe: recipe.name, dataset: 'flickr8k', split: 'train', langs: tc.langs, ...(tc.init_from ? { init_from: tc.init_from } : {}), ...(tc.objective === 'scst' ? { objective: 'scst', scst_samples: tc.scst_samples ?? 5, ...(tc.scst_anchor ? { scst_anchor: tc.scst_anchor } : {}) } : {}) },
  };
  const rng = createRng(tc.seed);
  const model = createCaptionModel(config, rng);
  const best = createCaptionModel(config, rng);
  const dense = new AdamW(model.params, { beta1: tc.beta1, beta2: tc.beta2, eps: 1e-8, weightDecay: tc.weight_decay });
  const sparse = new SparseAdamW(model.embedding, { beta1: tc.beta1, beta2: tc.beta2, eps: 1e-8 });
  const B = tc.images_per_batch;
  // Each block of B images is used twice in a row: once per language (one language per batch, so rows pad to similar lengths).
  const perEpoch = Math.floor(train.images.length / B) * tc.langs.length;
  let P: CaptionProgress = {
    epoch: 0, batchInEpoch: 0, step: 0, totalSteps: perEpoch * tc.epochs, elapsedMs: 0,
    bestMetric: -Infinity, bestCheck: -1, badChecks: 0, finished: false, history: [], epochLoss: { sum: 0, nll: 0, n: 0 },
  };
  const bestDir = join(opts.runDir, 'best');
  let resumed = false;
  if (opts.resume && existsSync(join(opts.runDir, STATE))) {
    P = loadState(opts.runDir, model, dense, sparse, recipeJson);
    resumed = true;
    if (existsSync(join(bestDir, 'caption.json'))) {
      const saved = await loadCaptionModel(bestDir);
      copyCaptionWeights(saved, best);
      saved.dispose();
    }
    log(`resumed at epoch ${P.epoch + 1}, batch ${P.batchInEpoch}, step ${P.step}/${P.totalSteps}`);
  }
  // The best weights (by dev) with the run's summary, into the model folder.
  const writeOut = () => {
    if (!opts.outDir || P.bestCheck < 0) return;
    const last = P.history[P.bestCheck];
    saveCaptionModel(best, opts.outDir, {
      training: { ...config.training, best_step: last?.step, dev_checks: P.history.length, epochs_run: +(P.step / perEpoch).toFixed(2), steps: P.step, minutes: +(P.elapsedMs / 60000).toFixed(1), stop: P.stopReason, dev_greedy: last?.dev },
    });
    log(`wrote the caption decoder (step ${last?.step}) to ${opts.outDir}`);
  };
  if (P.finished) {
    // Resuming a finished run only exports its best decoder (e.g. a run trained with --no-out).
    writeOut();
    return P;
  }
  if (!resumed && tc.init_from) await warmStart(model, tc.init_from);
  const logFile = join(opts.runDir, 'train_log.jsonl');
  const sessionStart = Date.now();
  const elapsedBefore = P.elapsedMs;
  const elapsed = () => elapsedBefore + (Date.now() - sessionStart);
  let lastSave = Date.now();
  const bar = progress(`train ${recipe.name}`, P.totalSteps - P.step);
  const featBuf = new Float32Array(B * inputs.dim);
  const scst = tc.objective === 'scst' ? scstReferences(train, tc.langs) : undefined;
  // Mean sampled reward since the last log line (self-critical training).
  let rewardSum = { sum: 0, n: 0 };

  // Dev check: keep the best weights (by greedy dev CIDEr-D), count checks without improvement.
  const checkDev = () => {
    const devReport = devEval(model, dev, inputs, tc.dev_images, tc.langs, config.max_length);
    const trainLoss = P.epochLoss.sum / Math.max(1, P.epochLoss.n);
    const trainNll = P.epochLoss.nll / Math.max(1, P.epochLoss.n);
    P.epochLoss = { sum: 0, nll: 0, n: 0 };
    P.history.push({ epoch: P.epoch, step: P.step, trainLoss, trainNll, dev: devReport, elapsedMs: elapsed() });
    appendFileSync(logFile, JSON.stringify({ check: P.history.length, epoch: P.epoch, step: P.step, trainLoss, trainNll, dev: devReport, elapsedMs: elapsed() }) + '\n');
    log(`step ${P.step} (epoch ${P.epoch + 1}): train loss ${trainLoss.toFixed(3)} (nll ${trainNll.toFixed(3)}), dev nll ${devReport.loss.toFixed(3)}, dev greedy CIDEr-D en ${devReport.en?.ciderD.toFixed(3)} zh ${devReport.zh?.ciderD.toFixed(3)}, BLEU-4 en ${devReport.en?.bleu4.toFixed(3)} zh ${devReport.zh?.bleu4.toFixed(3)}`);
    if (devReport.metric > P.bestMetric) {
      P.bestMetric = devReport.metric;
      P.bestCheck = P.history.length - 1;
      P.badChecks = 0;
      copyCaptionWeights(model, best);
      mkdirSync(bestDir, { recursive: true });
      saveCaptionModel(best, bestDir);
    } else {
      P.badChecks++;
    }
    P.elapsedMs = elapsed();
    saveState(opts.runDir, model, dense, sparse, { ...P, elapsedMs: elapsed() }, recipeJson);
    lastSave = Date.now();
  };

  try {
    outer: while (P.epoch < tc.epochs) {
      const plan = epochPlan(train.images.length, tc.seed, P.epoch, tc.langs, tc.flip_augment);
      for (let bi = P.batchInEpoch; bi < perEpoch; bi++) {
        if (elapsed() > tc.max_minutes * 60_000) {
          P.stopReason = `time budget (${tc.max_minutes} min)`;
          break outer;
        }
        if (tc.max_steps !== undefined && P.step >= tc.max_steps) {
          P.stopReason = `max_steps ${tc.max_steps}`;
          break outer;
        }
        const block = Math.floor(bi / tc.langs.length);
        const li = bi % tc.langs.length;
        const imgs = plan.order.slice(block * B, (block + 1) * B);
        inputs.gather(imgs.map((i) => train.images[i]), featBuf, (j) => (plan.flips[imgs[j]] && mapsFlip ? mapsFlip : mapsOrig));
        const lang = tc.langs[li];
        // The cosine runs over steps or over the time budget, whichever ends first, so a run cut short by the
        // budget still ends at a low learning rate.
        const sched = P.step < tc.warmup_steps ? P.step : Math.max(P.step, Math.floor((elapsed() / (tc.max_minutes * 60_000)) * P.totalSteps));
        const lr = lrAt(sched, { lr: tc.lr, warmup: tc.warmup_steps, total: P.totalSteps, minRatio: tc.min_lr_ratio });
        const stepRng = createRng((tc.seed * 2654435761 + P.step * 40503) >>> 0);
        const seed = () => Math.floor(stepRng() * 2 ** 31);
        const maxTokens = Math.min(config.max_length, tc.train_max_tokens + 1);
        let r: CaptionStepResult;
        let reward: number | undefined;
        // This batch's reference captions: teacher forcing's targets, and self-critical training's anchor.
        const references = () => {
          const seqs: number[][] = [];
          for (let c = 0; c < tc.captions_per_image; c++) {
            for (const i of imgs) seqs.push(vocab.encode(train.captions[lang][i][plan.pick[li][i][c % 5]], lang, maxTokens));
          }
          return seqs;
        };
        if (scst) {
          // The samples are drawn and scored without dropout, so the gradient is taken without it too.
          const anchor = tc.scst_anchor ? { seqs: references(), weight: tc.scst_anchor } : undefined;
          const s = scstBatch(model, featBuf, imgs, lang, scst, { samples: tc.scst_samples ?? 5, rng: stepRng, maxLength: config.max_length, anchor });
          reward = s.reward;
          r = captionTrainStep(model, s.batch, { dense, sparse, lr, gradClip: tc.grad_clip, smoothing: 0, seed, dropout: false });
        } else {
          const seqs = references();
          const { ids, T } = packIds(seqs);
          r = captionTrainStep(model, { maps: featBuf, images: B, rows: seqs.length, ids, T, lang }, { dense, sparse, lr, gradClip: tc.grad_clip, smoothing: tc.label_smoothing, seed });
        }
        if (!Number.isFinite(r.loss)) throw new VlmError(`caption training diverged at step ${P.step} (loss ${r.loss})`);
        P.step++;
        P.batchInEpoch = bi + 1;
        P.epochLoss.sum += r.loss;
        P.epochLoss.nll += r.nll;
        P.epochLoss.n++;
        if (reward !== undefined) rewardSum = { sum: rewardSum.sum + reward, n: rewardSum.n + 1 };
        bar.tick(1, { epoch: P.epoch + 1, ...(scst ? { reward: (rewardSum.sum / rewardSum.n).toFixed(3) } : { loss: (P.epochLoss.sum / P.epochLoss.n).toFixed(3) }), lr: lr.toExponential(1) });
        if (P.step % 50 === 0) {
          appendFileSync(logFile, JSON.stringify({ step: P.step, epoch: P.epoch, loss: r.loss, nll: r.nll, gradNorm: r.gradNorm, lr, ...(scst ? { reward: rewardSum.sum / rewardSum.n } : {}), elapsedMs: elapsed() }) + '\n');
          rewardSum = { sum: 0, n: 0 };
        }
        if (P.step % tc.eval_every === 0 || (bi === perEpoch - 1 && P.epoch === tc.epochs - 1)) {
          checkDev();
          if (P.badChecks >= tc.patience) {
            P.stopReason = `dev CIDEr-D did not improve for ${tc.patience} checks`;
            break outer;
          }
        }
        if (Date.now() - lastSave > tc.checkpoint_minutes * 60_000) {
          P.elapsedMs = elapsed();
          saveState(opts.runDir, model, dense, sparse, { ...P, elapsedMs: elapsed() }, recipeJson);
          lastSave = Date.now();
        }
      }
      P.epoch++;
      P.batchInEpoch = 0;
    }
    P.stopReason ??= `${tc.epochs} epochs`;
    // Budget stops land between checks: score the final weights too (the cosine ends there).
    if (!P.stopReason.startsWith('dev') && P.history.at(-1)?.step !== P.step) checkDev();
    const timeUp = P.stopReason.startsWith('time') || P.stopReason.startsWith('max_steps');
    P.elapsedMs = elapsed();
    P.finished = !timeUp || P.epoch >= tc.epochs;
    saveState(opts.runDir, model, dense, sparse, P, recipeJson);
    writeOut();
    return P;
  } finally {
    bar.stop();
  }
}

/** Start from a saved decoder's weights (same vocabulary); parameters only the new model has stay as initialised. */
async function warmStart(model: CaptionModel, dir: string): Promise<void> {
  const from = await loadCaptionModel(dir);
  try {
    if (JSON.stringify(from.config.vocab) !== JSON.stringify(model.config.vocab)) throw new VlmError(`init_from ${dir}: its vocabulary differs from this recipe's`);
    const fresh = copyCaptionWeights(from, model);
    log(`warm start from ${dir}; new parameters: ${fresh.join(', ') || 'none'}`);
  } finally {
    from.dispose();
  }
}

export function readRecipe(path: string): CaptionRecipe {
  return JSON.parse(readFileSync(path, 'utf8')) as CaptionRecipe;
}
