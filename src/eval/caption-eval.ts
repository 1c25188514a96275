import type { CaptionerInternals } from '../apps/caption/captioner.js';
import type { CaptionLang } from '../model/caption-vocab.js';
import { readFeatureIndex } from '../model/feature-cache.js';
import { loadCaptionSplit, MapRows } from '../train/caption-data.js';
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
  rerank?: { weight: number; scores: CaptionScores };
  seconds: number;
  /** Generated captions, in split order. */
  captions: { image: string; text: string; reranked?: string }[];
}

/**
 * Caption a Flickr8k split and score against its 5 references per image (corpus BLEU-1..4, ROUGE-L, CIDEr-D;
 * Chinese on characters). Maps come from the feature cache when present (identical to running the tower on
 * the files, which is the fallback).
 */
export async function evalCaptions(
  cap: CaptionerInternals,
  opts: { split: 'dev' | 'test'; lang: CaptionLang; beam?: number; rerank?: boolean; rerankWeight?: number; limit?: number; lengthAlpha?: number; noRepeatNgram?: number; quiet?: boolean },
): Promise<CaptionEvalResult> {
  const t0 = Date.now();
  const data = loadCaptionSplit(opts.split);
  const files = loadFlickr8k(opts.split, 'en').imagePaths;
  const n = Math.min(opts.limit ?? data.images.length, data.images.length);
  const names = data.images.slice(0, n);
  const { tower, tap } = cap.model.config;
  let maps: MapRows | undefined;
  try {
    readFeatureIndex(tower, tap);
    maps = new MapRows(tower, tap);
  } catch {
    maps = undefined;
  }
  const beam = opts.beam ?? cap.model.config.decode?.beam ?? 3;
  const texts: string[] = [];
  const reranked: string[] = [];
  const per = 25;
  const bar = progress(`caption ${opts.split} ${opts.lang}`, n, { quiet: opts.quiet });
  for (let i = 0; i < n; i += per) {
    const part = names.slice(i, i + per);
    let rows: Float32Array[];
    if (maps) {
      const flat = maps.gather(part);
      rows = part.map((_, j) => flat.subarray(j * maps!.dim, (j + 1) * maps!.dim));
    } else {
      const { openMapExtractor } = await import('../apps/caption/image-maps.js');
      const ex = await openMapExtractor(tower, tap);
      rows = await ex.maps(files.slice(i, i + per));
      await ex.dispose();
    }
    const bs = cap.beams(rows, { lang: opts.lang, beam, lengthAlpha: opts.lengthAlpha, noRepeatNgram: opts.noRepeatNgram });
    texts.push(...bs.map((b) => b[0]?.text ?? ''));
    if (opts.rerank) reranked.push(...(await cap.rerank(files.slice(i, i + per), bs, opts.lang, opts.rerankWeight)).map((h) => h?.text ?? ''));
    bar.tick(part.length);
  }
  bar.stop();
  const refs = names.map((_, i) => data.captions[opts.lang][i]);
  const result: CaptionEvalResult = {
    task: 'caption',
    dataset: 'flickr8k',
    split: opts.split,
    lang: opts.lang,
    n_images: n,
    refs_per_image: 5,
    beam,
    features: maps ? `feature cache ${tower}/${tap}` : `${tower}/${tap} computed from the image files`,
    tokens: opts.lang === 'en' ? 'lower-case words, punctuation removed' : 'Chinese characters (character-level scores), punctuation removed',
    scores: scoreCaptions(texts, refs, opts.lang),
    seconds: 0,
    captions: names.map((image, i) => ({ image, text: texts[i], ...(opts.rerank ? { reranked: reranked[i] } : {}) })),
  };
  if (opts.rerank) result.rerank = { weight: opts.rerankWeight ?? cap.model.config.decode?.rerank_weight ?? 0.05, scores: scoreCaptions(reranked, refs, opts.lang) };
  result.seconds = +((Date.now() - t0) / 1000).toFixed(1);
  return result;
}
