import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadVlmModel, saveVlmModel, wrapModel } from '../model/checkpoint.js';
import { readModelConfig, type ModelConfig } from '../model/config.js';
import { setImageInputStats } from '../model/image-head.js';
import { initTf } from '../model/tf.js';
import { initTokenEmbedding } from '../model/token-embedding.js';
import { VlmModel } from '../model/vlm-model.js';
import { MixedTokenizer } from '../text/tokenizer.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UsageError, VlmError } from '../util/errors.js';
import { log } from '../util/log.js';
import { cacheDir } from '../util/paths.js';
import { progress } from '../util/progress.js';
import { createRng } from '../util/rng.js';
import { AdamW, SparseAdamW } from './adamw.js';
import { epochPlan, makeBatch } from './batches.js';
import { evaluateRetrieval, formatReport, type RetrievalReport } from './evaluate.js';
import { lrAt } from './schedule.js';
import { hasTrainState, loadTrainState, saveTrainState, type TrainProgress } from './train-state.js';
import { trainStep } from './train-step.js';
import { loadSplitData, type SplitData } from './training-data.js';

export interface TrainOptions {
  /** Continue from the saved state of an earlier (killed) run with the same config and --out. */
  resume?: boolean;
  /** Folder with tokenizer.json and glove_en.f32 (default .cache/text, written by scripts/extract-vocab). */
  vocabDir?: string;
  /** Where the resumable state lives (default .cache/train-state/<out path>). */
  stateDir?: string;
  /** Save the state every this many minutes within an epoch (default 10). */
  saveEveryMinutes?: number;
  /** Testing hook: behave as if killed after this many steps of this session (state saved first). */
  stopAfterSteps?: number;
  /** Testing hook: use these instead of Flickr8k + the feature caches. */
  data?: { train: SplitData; dev: SplitData; tokenizer: MixedTokenizer; glove?: Float32Array };
}

export interface TrainResult {
  outDir: string;
  /** False when stopped by stopAfterSteps (a simulated kill). */
  finished: boolean;
  stopReason: string;
  bestEpoch: number;
  /** Dev retrieval of the saved (best) model folder, measured after loading it back. */
  dev?: RetrievalReport;
  steps: number;
  wallMinutes: number;
  history: TrainProgress['history'];
}

export const LOG_FILE = 'train_log.jsonl';
export const RESULT_FILE = 'train_result.json';

function defaultStateDir(outDir: string): string {
  return cacheDir('train-state', resolve(outDir).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+/, ''));
}

function loadVocab(cfg: ModelConfig, vocabDir: string): { tokenizer: MixedTokenizer; glove?: Float32Array } {
  const tokPath = join(vocabDir, 'tokenizer.json');
  if (!existsSync(tokPath)) throw new VlmError(`no tokenizer at ${tokPath}: build it with \`node dist/scripts/extract-vocab.js\``);
  const tokenizer = MixedTokenizer.fromFile(tokPath);
  const glovePath = join(vocabDir, 'glove_en.f32');
  if (cfg.text.word_dim !== 100 || !existsSync(glovePath)) {
    log(`train: no 100-d GloVe init used (word_dim ${cfg.text.word_dim}, ${glovePath} ${existsSync(glovePath) ? 'present' : 'missing'})`);
    return { tokenizer };
  }
  const buf = readFileSync(glovePath);
  const glove = new Float32Array(buf.length / 4);
  new Uint8Array(glove.buffer).set(buf);
  return { tokenizer, glove };
}

/**
 * Train a model from a recipe into `outDir` (a model folder holding the best-on-dev checkpoint).
 * Train split only (EN + ZH captions, random flip variant per sample); dev retrieval after every epoch;
 * early stopping on the dev mean recall; resumable at any point from the last saved state.
 */
export async function train(configPath: string, outDir: string, opts: TrainOptions = {}): Promise<TrainResult> {
  await initTf();
  const cfg = readModelConfig(configPath);
  const tc = cfg.training;
  if (!tc) throw new UsageError(`${configPath} has no "training" section: it is a model config, not a training recipe`);
  const configJson = JSON.stringify(cfg);
  const t0 = Date.now();

  const { tokenizer, glove } = opts.data ?? loadVocab(cfg, opts.vocabDir ?? cacheDir('text'));
  log(`train: loading features and captions for ${cfg.name} ...`);
  const cropViews = tc.crop_views ?? 0;
  const trainData = opts.data?.train ?? loadSplitData(cfg, 'train', tc.langs, tokenizer, { cropViews });
  const short = trainData.features.find((f) => (f.crops?.length ?? 0) < cropViews);
  if (short) throw new VlmError(`training.crop_views is ${cropViews} but ${short.key} has ${short.crops?.length ?? 0} crop views loaded`);
  const devData = opts.data?.dev ?? loadSplitData(cfg, 'dev', tc.eval_langs, tokenizer);
  if (trainData.split !== 'train' || devData.split !== 'dev') throw new VlmError('train() trains on the train split and selects on dev only');
  log(`train: ${trainData.captions.length} train captions / ${trainData.images.length} images, dev ${devData.images.length} images [${((Date.now() - t0) / 1000).toFixed(1)} s]`);

  const rng = createRng(tc.seed);
  const enOffset = tokenizer.toJSON().specials.length;
  const emb = initTokenEmbedding({
    rows: tokenizer.vocabSize, dim: cfg.text.word_dim, enOffset, glove, enCount: glove ? tokenizer.enSize : 0, rng,
    trainable: cfg.text.embedding_trainable,
  });
  const model = new VlmModel(cfg, emb, rng);
  setImageInputStats(model.params, cfg.image, trainData.features.map((f) => ({ data: f.orig, rows: trainData.images.length })));
  const dense = new AdamW(model.params, { beta1: tc.beta1, beta2: tc.beta2, eps: 1e-8, weightDecay: tc.weight_decay });
  const sparse = new SparseAdamW(emb, { beta1: tc.beta1, beta2: tc.beta2, eps: 1e-8 });
  const vlm = wrapModel(model, tokenizer);

  const lengths = trainData.captions.map((c) => c.ids.length);
  const stepsPerEpoch = Math.floor(trainData.captions.length / tc.batch_size);
  if (stepsPerEpoch < 1) throw new UsageError(`batch_size ${tc.batch_size} exceeds the ${trainData.captions.length} training captions`);
  const stateDir = opts.stateDir ?? defaultStateDir(outDir);
  const logPath = join(outDir, LOG_FILE);
  let P: TrainProgress = {
    epoch: 0, batchInEpoch: 0, step: 0, totalSteps: stepsPerEpoch * tc.epochs, bestMetric: -Infinity, bestEpoch: -1,
    badEpochs: 0, elapsedMs: 0, finished: false, history: [],
  };
  if (opts.resume && hasTrainState(stateDir)) {
    P = loadTrainState(stateDir, model, dense, sparse, configJson);
    log(`train: resumed at epoch ${P.epoch + 1}, batch ${P.batchInEpoch}/${stepsPerEpoch}, step ${P.step} (${(P.elapsedMs / 60000).toFixed(1)} min done)`);
  } else {
    if (opts.resume) log(`train: --resume given but no saved state in ${stateDir}; starting from scratch`);
    rmSync(logPath, { force: true });
  }
  mkdirSync(outDir, { recursive: true });
  const writeLog = (rec: Record<string, unknown>) => appendFileSync(logPath, JSON.stringify(rec) + '\n');
  const sessionStart = Date.now() - P.elapsedMs;
  const elapsed = () => Date.now() - sessionStart;
  const save = () => {
    P.elapsedMs = elapsed();
    saveTrainState(stateDir, model, dense, sparse, P, configJson);
  };

  let sessionSteps = 0;
  let lastSave = Date.now();
  const saveEvery = (opts.saveEveryMinutes ?? 10) * 60000;
  const budgetMs = tc.max_minutes * 60000;
  let interrupted = false;

  if (!P.finished) {
    const bar = progress(`train ${cfg.name}`, P.totalSteps - P.step);
    try {
      while (P.epoch < tc.epochs && !P.finished) {
        const plan = epochPlan(trainData.captions.length, tc.batch_size, tc.seed, P.epoch, tc.flip_augment, tc.length_buckets ? lengths : undefined, cropViews);
        // Kept in the progress record so a resumed epoch reports the same mean loss.
        P.epochLoss ??= { sum: 0, n: 0 };
        let outOfTime = false;
        for (; P.batchInEpoch < plan.batches; ) {
          const batch = makeBatch(trainData, plan, P.batchInEpoch, tc.batch_size);
          const lr = lrAt(P.step, { lr: tc.lr, warmup: tc.warmup_steps, total: P.totalSteps, minRatio: tc.min_lr_ratio });
          const stepRng = createRng((tc.seed * 2654435761 + P.step * 40503) >>> 0);
          const r = trainStep(model, batch, {
            dense, sparse, lr, lrEmbeddings: (tc.lr_embeddings * lr) / tc.lr, gradClip: tc.grad_clip,
            seed: () => Math.floor(stepRng() * 2 ** 31),
          });
          if (!Number.isFinite(r.loss)) throw new VlmError(`training diverged at step ${P.step} (loss ${r.loss}); lower the learning rate`);
          P.step++;
          P.batchInEpoch++;
          sessionSteps++;
          P.epochLoss.sum += r.loss;
          P.epochLoss.n++;
          bar.tick(1, { epoch: P.epoch + 1, loss: r.loss.toFixed(3), lr: lr.toExponential(1) });
          if (P.step % 50 === 0) {
            writeLog({ type: 'step', step: P.step, epoch: P.epoch + 1, loss: +(P.epochLoss.sum / P.epochLoss.n).toFixed(5), lr, grad_norm: +r.gradNorm.toFixed(4), logit_scale: +r.logitScale.toFixed(3), elapsed_s: Math.round(elapsed() / 1000) });
          }
          if (opts.stopAfterSteps !== undefined && sessionSteps >= opts.stopAfterSteps) {
            interrupted = true;
            break;
          }
          if (Date.now() - lastSave > saveEvery) {
            save();
            lastSave = Date.now();
          }
          if (elapsed() > budgetMs || (tc.max_steps !== undefined && P.step >= tc.max_steps)) {
            outOfTime = true;
            break;
          }
        }
        if (interrupted) break;

        const dev = evaluateRetrieval(vlm, devData, tc.eval_langs);
        const trainLoss = P.epochLoss.n ? P.epochLoss.sum / P.epochLoss.n : NaN;
        P.epochLoss = { sum: 0, n: 0 };
        P.history.push({ epoch: P.epoch + 1, step: P.step, trainLoss, dev, elapsedMs: elapsed() });
        const better = dev.meanRecall > P.bestMetric;
        log(`\ntrain: epoch ${P.epoch + 1} loss ${trainLoss.toFixed(4)} ${formatReport(dev)}${better ? ' (best)' : ''} [${(elapsed() / 60000).toFixed(1)} min]`);
        writeLog({ type: 'epoch', epoch: P.epoch + 1, step: P.step, train_loss: trainLoss, dev, best: better, elapsed_s: Math.round(elapsed() / 1000) });
        if (better) {
          P.bestMetric = dev.meanRecall;
          P.bestEpoch = P.epoch + 1;
          P.badEpochs = 0;
          saveVlmModel(model, tokenizer, outDir);
        } else {
          P.badEpochs++;
        }
        P.epoch++;
        P.batchInEpoch = 0;
        if (P.badEpochs >= tc.patience) {
          P.finished = true;
          P.stopReason = `early stop: no better dev mean recall for ${tc.patience} epochs`;
        } else if (tc.max_steps !== undefined && P.step >= tc.max_steps) {
          P.finished = true;
          P.stopReason = `step budget of ${tc.max_steps} steps reached`;
        } else if (outOfTime || elapsed() > budgetMs) {
          P.finished = true;
          P.stopReason = `time budget of ${tc.max_minutes} min reached`;
        } else if (P.epoch >= tc.epochs) {
          P.finished = true;
          P.stopReason = `all ${tc.epochs} epochs done`;
        }
        save();
        lastSave = Date.now();
      }
      if (interrupted) save();
    } finally {
      bar.stop();
    }
  }

  const result: TrainResult = {
    outDir, finished: !interrupted, stopReason: interrupted ? 'interrupted' : (P.stopReason ?? 'finished'), bestEpoch: P.bestEpoch,
    steps: P.step, wallMinutes: +(elapsed() / 60000).toFixed(2), history: P.history,
  };
  if (!interrupted) {
    // Measure what was actually saved (the token table may be stored as F16).
    const saved = await loadVlmModel(outDir);
    result.dev = evaluateRetrieval(saved, devData, tc.eval_langs);
    saved.dispose();
    log(`train: done (${result.stopReason}); best epoch ${P.bestEpoch}; saved model ${formatReport(result.dev)}`);
    writeFileAtomic(join(outDir, RESULT_FILE), JSON.stringify({ config: configPath, ...result }, null, 1) + '\n');
  }
  dense.dispose();
  model.dispose();
  return result;
}
