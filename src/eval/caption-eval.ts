import type { CaptionerInternals } from '../apps/caption/captioner.js';
import { beamAgreement, rerankBest, rerankTerms } from '../apps/caption/rerank.js';
import { dot } from '../encoders/encoder.js';
import type { BeamHypothesis } from '../model/caption-beam.js';
import type { CaptionModel } from '../model/caption-model.js';
import { loadVlmModel } from '../model/checkpoint.js';
import { hasFeatureCache, readFeatureCache } from '../model/feature-cache.js';
import type { CaptionLang } from '../model/caption-vocab.js';
import { readFeatureIndex } from '../model/feature-cache.js';
import { DecoderRows, loadCaptionSplit, MapRows } from '../train/caption-data.js';
import { loadFlickr8k } from '../train/datasets/flickr8k.js';
import { progress } from '../util/progress.js';
import { scoreCaptions, type CaptionScores } from './caption-metrics/index.js';

export interface CaptionEvalResult {
  task: 'caption';
  dataset: 'flickr8k';
  split: 'dev' | 'test';
  lang: CaptionLang;
  n_images: number;
  refs_per_image: number;
  beam: number;
  /** Which images' maps were used: the feature cache (same tower, same preprocessing) or computed from the files. */
  features: string;
  tokens: string;
  scores: CaptionScores;
  /** Same beams, final pick re-ranked by the contrastive model (when measured). */
  rerank?: {
    weight: number; consensus: number; scores: CaptionScores; image_features: string; sweep: { weight: number; bleu4: number; ciderD: number }[];
    /** the caption memory's k and weight when it took part (caption.json decode.memory) */
    memory?: { k: number; weight: number; images: number };
  };
  seconds: number;
  /** Generated captions, in split order. */
  captions: { image: string; text: string; reranked?: string }[];
}

/** Every image's final beam for a Flickr8k split (or its first `limit` images), with the 5 references per image. */
export interface SplitBeams {
  names: string[];
  files: string[];
  refs: string[][];
  beams: BeamHypothesis[][];
  /** Where the decoder's input rows came from. */
  features: string;
}

/**
 * Final beams for a Flickr8k split. Decoder inputs come from the feature caches when present (identical to
 * running the tower, and the detector when the decoder takes one, on the files, which is the fallback).
 */
export async function splitBeams(
  cap: CaptionerInternals,
  opts: { split: 'dev' | 'test'; lang: CaptionLang; beam: number; limit?: number; lengthAlpha?: number; noRepeatNgram?: number; quiet?: boolean; ensemble?: CaptionModel[] },
): Promise<SplitBeams> {
  const data = loadCaptionSplit(opts.split);
  const allFiles = loadFlickr8k(opts.split, 'en').imagePaths;
  const n = Math.min(opts.limit ?? data.images.length, data.images.length);
  const names = data.images.slice(0, n);
  const files = allFiles.slice(0, n);
  const { tower, tap } = cap.model.config;
  let maps: DecoderRows | undefined;
  try {
    readFeatureIndex(tower, tap);
    maps = new DecoderRows(new MapRows(tower, tap, { only: names }), cap.model.config);
  } catch {
    maps = undefined;
  }
  const beams: BeamHypothesis[][] = [];
  const per = 25;
  const bar = progress(`caption ${opts.split} ${opts.lang}`, n, { quiet: opts.quiet });
  for (let i = 0; i < n; i += per) {
    const part = names.slice(i, i + per);
    let rows: Float32Array[];
    if (maps) {
      const flat = maps.gather(part);
      rows = part.map((_, j) => flat.subarray(j * maps!.dim, (j + 1) * maps!.dim));
    } else {
      rows = await cap.inputs(files.slice(i, i + per));
    }
    beams.push(...cap.beams(rows, { lang: opts.lang, beam: opts.beam, lengthAlpha: opts.lengthAlpha, noRepeatNgram: opts.noRepeatNgram, ensemble: opts.ensemble }));
    bar.tick(part.length);
  }
  bar.stop();
  const det = cap.model.config.detector ? ` + ${cap.model.config.detector.kind} detector rows` : '';
  return {
    names,
    files,
    refs: names.map((_, i) => data.captions[opts.lang][i]),
    beams,
    features: (maps ? `feature cache ${tower}/${tap}` : `${tower}/${tap} computed from the image files`) + det,
  };
}

/**
 * Contrastive cosines (image, candidate) for every beam candidate, with the model's logit scale. Image
 * embeddings come from the cached tower features when the cache has all the encoder's inputs (same numbers as
 * running the tower), else from the image files.
 */
export async function beamCosines(
  modelDir: string,
  sb: SplitBeams,
  lang: CaptionLang,
  /** Image embeddings kept between calls on the same images (e.g. several beam widths). */
  memo: { images?: Float32Array[]; source?: string } = {},
): Promise<{ cos: number[][]; scale: number; source: string; images: Float32Array[] }> {
  const vlm = await loadVlmModel(modelDir);
  try {
    const scale = vlm.model.logitScale().dataSync()[0];
    let imgEmb: Float32Array[];
    let source: string;
    const towerInputs = vlm.imageInputs.flatMap((s) => (s.source === 'tower' && !s.pool ? [s] : []));
    if (memo.images && memo.source && memo.images.length === sb.names.length) {
      imgEmb = memo.images;
      source = memo.source;
    } else if (towerInputs.length === vlm.imageInputs.length && towerInputs.every((s) => hasFeatureCache(s.tower, s.tap))) {
      const feats: Record<string, Float32Array[]> = {};
      for (const s of towerInputs) {
        const m = readFeatureCache(s.tower, s.tap);
        feats[s.key] = sb.names.map((nm) => m.row(nm)!);
      }
      imgEmb = vlm.embedImageFeatures(feats);
      source = 'feature cache';
    } else {
      const enc = await (await import('../encoders/load.js')).loadEncoder(modelDir);
      imgEmb = await enc.embedImages(sb.files);
      await enc.dispose();
      source = 'image files';
    }
    memo.images = imgEmb;
    memo.source = source;
    const cos = sb.beams.map((bs, i) => vlm.embedTexts(bs.map((h) => h.text || ' '), lang).map((e) => dot(imgEmb[i], e)));
    return { cos, scale, source, images: imgEmb };
  } finally {
    vlm.dispose();
  }
}

/**
 * Caption a Flickr8k split and score against its 5 references per image (corpus BLEU-1..4, ROUGE-L, CIDEr-D;
 * Chinese on characters).
 */
export async function evalCaptions(
  cap: CaptionerInternals,
  opts: { split: 'dev' | 'test'; lang: CaptionLang; beam?: number; rerank?: boolean; rerankWeight?: number; consensus?: number; memory?: boolean; limit?: number; lengthAlpha?: number; noRepeatNgram?: number; quiet?: boolean; modelDir: string },
): Promise<CaptionEvalResult> {
  const t0 = Date.now();
  const beam = opts.beam ?? cap.model.config.decode?.beam ?? 3;
  const sb = await splitBeams(cap, { ...opts, beam });
  const { names, refs } = sb;
  const texts = sb.beams.map((b) => b[0]?.text ?? '');
  const weight = opts.rerankWeight ?? cap.model.config.decode?.rerank_weight ?? 0.05;
  const consensus = opts.consensus ?? cap.model.config.decode?.consensus ?? 0;
  let reranked: string[] = [];
  let rerank: CaptionEvalResult['rerank'];
  if (opts.rerank) {
    const { cos, scale, source, images } = await beamCosines(opts.modelDir, sb, opts.lang);
    const agree = consensus !== 0 ? sb.beams.map(beamAgreement) : undefined;
    const mem = (opts.memory ?? true) ? await cap.memoryFor(opts.lang) : undefined;
    const memScores = mem && sb.beams.map((bs, i) => mem.memory.consensus(bs.map((h) => h.text), images[i], opts.lang, mem.k));
    const pick = (w: number) => sb.beams.map((bs, i) => {
      const terms = rerankTerms(cos[i], scale, w, mem && memScores ? { scores: memScores[i], weight: mem.weight } : undefined);
      return bs[rerankBest(bs, terms, consensus, agree?.[i])]?.text ?? '';
    });
    const sweep = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5].map((w) => {
      const sc = scoreCaptions(pick(w), refs, opts.lang);
      return { weight: w, bleu4: +sc.bleu4.toFixed(4), ciderD: +sc.ciderD.toFixed(4) };
    });
    reranked = pick(weight);
    rerank = { weight, consensus, scores: scoreCaptions(reranked, refs, opts.lang), image_features: source, sweep, ...(mem ? { memory: { k: mem.k, weight: mem.weight, images: mem.memory.size } } : {}) };
  }
  const result: CaptionEvalResult = {
    task: 'caption',
    dataset: 'flickr8k',
    split: opts.split,
    lang: opts.lang,
    n_images: names.length,
    refs_per_image: 5,
    beam,
    features: sb.features,
    tokens: opts.lang === 'en' ? 'lower-case words, punctuation removed' : 'Chinese characters (character-level scores), punctuation removed',
    scores: scoreCaptions(texts, refs, opts.lang),
    seconds: 0,
    captions: names.map((image, i) => ({ image, text: texts[i], ...(opts.rerank ? { reranked: reranked[i] } : {}) })),
  };
  if (rerank) result.rerank = rerank;
  result.seconds = +((Date.now() - t0) / 1000).toFixed(1);
  return result;
}
