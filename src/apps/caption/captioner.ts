import { resolve } from 'node:path';
import type { Encoder } from '../../encoders/encoder.js';
import { dot } from '../../encoders/encoder.js';
import type { ImageInput } from '../../image/types.js';
import { beamSearch, type BeamHypothesis } from '../../model/caption-beam.js';
import { loadCaptionModel, type CaptionModel } from '../../model/caption-model.js';
import type { CaptionLang } from '../../model/caption-vocab.js';
import { UsageError } from '../../util/errors.js';
import { defaultModelDir } from '../../util/paths.js';
import { openMapExtractor, type MapExtractor } from './image-maps.js';
import { memoryRow } from '../../model/caption-config.js';
import type { Detector } from '../../model/detector.js';
import { rerankBest, rerankTerms } from './rerank.js';
import { readCaptionMemory, type CaptionMemory } from './caption-memory.js';

export interface CaptionOptions {
  lang?: 'en' | 'zh';
  /** Beam width (1 = greedy); default from the model's caption.json (chosen on dev). */
  beam?: number;
  /** Re-rank the final beam by the contrastive model's image-text score. */
  rerank?: boolean;
  /** Weight of the beam's consensus (minimum Bayes risk) in the final pick; default from caption.json (0: off). */
  consensus?: number;
  /**
   * When re-ranking, also weigh each candidate's consensus with the captions of the image's nearest training images
   * (the caption memory), if caption.json sets it up for the language (default true).
   */
  memory?: boolean;
}

export interface CaptionResult {
  text: string;
  /**
   * Confidence in (0, 1]: the geometric mean of the decoder's token probabilities (exp of the mean token
   * log-probability, [END] included). Comparable across images, not calibrated.
   */
  score: number;
}

export interface Captioner {
  captionImages(images: ImageInput[], opts?: CaptionOptions): Promise<CaptionResult[]>;
  dispose(): Promise<void>;
}

/** The captioner plus the pieces evaluation needs (cached maps in, whole beams out). */
export interface CaptionerInternals extends Captioner {
  model: CaptionModel;
  /** The decoder's input row per image: the tower's map, plus the detector row when the decoder takes one. */
  inputs(images: ImageInput[]): Promise<Float32Array[]>;
  /** Final beams for precomputed input rows, best first. */
  beams(maps: Float32Array[], opts: CaptionOptions & { lengthAlpha?: number; noRepeatNgram?: number; ensemble?: CaptionModel[] }): BeamHypothesis[][];
  /**
   * Pick one hypothesis per image by re-ranking (encoder loaded on first use), with the beam's consensus at weight
   * `consensus` and the caption memory when caption.json sets it up for `lang` and `memory` is not false.
   */
  rerank(images: ImageInput[], beams: BeamHypothesis[][], lang: CaptionLang, weight?: number, consensus?: number, memory?: boolean): Promise<BeamHypothesis[]>;
  /** The caption memory's weight and k for a language, and the memory (loaded on first use); undefined when caption.json sets none. */
  memoryFor(lang: CaptionLang): Promise<{ memory: CaptionMemory; k: number; weight: number } | undefined>;
}

export function confidence(h: BeamHypothesis): number {
  return Math.exp(h.logp / (h.ids.length + 1));
}

function checkOpts(opts: CaptionOptions): { lang: CaptionLang; beam?: number } {
  if (opts.consensus !== undefined && !(Number.isFinite(opts.consensus) && opts.consensus >= 0)) throw new UsageError(`consensus must be a number >= 0 (got ${opts.consensus})`);
  const lang = opts.lang ?? 'en';
  if (lang !== 'en' && lang !== 'zh') throw new UsageError(`caption language must be en or zh (got ${String(lang)})`);
  if (opts.beam !== undefined && !(Number.isInteger(opts.beam) && opts.beam >= 1 && opts.beam <= 20)) throw new UsageError(`beam must be an integer 1..20 (got ${opts.beam})`);
  return { lang, beam: opts.beam };
}

/**
 * Load the caption decoder of a model folder (default: models/default). Throws a VlmError when the folder
 * has no caption decoder (caption.json + caption.safetensors).
 */
export async function loadCaptioner(modelDir?: string): Promise<CaptionerInternals> {
  const dir = resolve(modelDir ?? defaultModelDir);
  const model = await loadCaptionModel(dir);
  const dec = model.config.decode ?? {};
  // Ensemble members named by caption.json: beam search averages their log-probabilities with the main decoder's.
  const members: CaptionModel[] = [];
  try {
    for (const f of dec.ensemble ?? []) members.push(await loadCaptionModel(dir, f));
  } catch (e) {
    for (const m of [model, ...members]) m.dispose();
    throw e;
  }
  let extractor: MapExtractor | undefined;
  let detector: Promise<Detector> | undefined;
  let encoder: Promise<Encoder> | undefined;

  const inputs: CaptionerInternals['inputs'] = async (images) => {
    extractor ??= await openMapExtractor(model.config.tower, model.config.tap);
    const maps = await extractor.maps(images);
    if (!model.config.detector) return maps;
    // The decoder also reads the detector's class evidence, computed as the training cache did.
    const { detectorFeatureRow, loadDetector } = await import('../../model/detector-features.js');
    detector ??= loadDetector(model.config.detector.kind);
    const det = await detector;
    const rows: Float32Array[] = [];
    for (let i = 0; i < images.length; i++) rows.push(memoryRow(model.config, maps[i], await detectorFeatureRow(det, images[i])));
    return rows;
  };

  const beams: CaptionerInternals['beams'] = (maps, opts) => {
    const { lang, beam } = checkOpts(opts);
    return beamSearch(model, maps, {
      lang,
      beam: beam ?? dec.beam ?? 3,
      lengthAlpha: opts.lengthAlpha ?? dec.length_alpha ?? 0.7,
      noRepeatNgram: opts.noRepeatNgram ?? dec.no_repeat_ngram ?? 3,
      ensemble: opts.ensemble ?? members,
    });
  };

  const loadEnc = () => (encoder ??= import('../../encoders/load.js').then((m) => m.loadEncoder(dir)));
  let memory: Promise<CaptionMemory> | undefined;
  const memoryFor: CaptionerInternals['memoryFor'] = async (lang) => {
    const weight = dec.memory?.weight[lang];
    if (!dec.memory || weight === undefined) return undefined;
    const enc = await loadEnc();
    memory ??= Promise.resolve().then(() => readCaptionMemory(dir, enc.id));
    return { memory: await memory, k: dec.memory.k, weight };
  };

  const rerank: CaptionerInternals['rerank'] = async (images, bs, lang, weight = dec.rerank_weight ?? 0.05, consensus = dec.consensus ?? 0, useMemory = true) => {
    const enc = await loadEnc();
    const mem = useMemory ? await memoryFor(lang) : undefined;
    const imgEmb = await enc.embedImages(images);
    const out: BeamHypothesis[] = [];
    for (let i = 0; i < bs.length; i++) {
      const hs = bs[i].filter((h) => h.text.length > 0);
      if (hs.length <= 1) {
        out.push(bs[i][0]);
        continue;
      }
      const txt = await enc.embedTexts(hs.map((h) => h.text), { lang });
      const scores = mem?.memory.consensus(hs.map((h) => h.text), imgEmb[i], lang, mem.k);
      const terms = rerankTerms(txt.map((t) => dot(imgEmb[i], t)), enc.logitScale ?? 1, weight, scores && mem ? { scores, weight: mem.weight } : undefined);
      out.push(hs[rerankBest(hs, terms, consensus)]);
    }
    return out;
  };

  return {
    model,
    inputs,
    beams,
    rerank,
    memoryFor,
    async captionImages(images, opts = {}) {
      const { lang } = checkOpts(opts);
      if (images.length === 0) return [];
      const maps = await inputs(images);
      const bs = beams(maps, opts);
      // re-ranking is on when asked for, else when the model's decoding defaults (chosen on dev) say so
      const consensus = opts.consensus ?? dec.consensus ?? 0;
      const picked = (opts.rerank ?? dec.rerank)
        ? await rerank(images, bs, lang, undefined, consensus, opts.memory ?? true)
        : bs.map((b) => b[rerankBest(b, b.map(() => 0), consensus)]);
      return picked.map((h) => ({ text: h.text, score: confidence(h) }));
    },
    async dispose() {
      await extractor?.dispose();
      if (detector) (await detector).dispose();
      if (encoder) await (await encoder).dispose();
      for (const m of [model, ...members]) m.dispose();
    },
  };
}
