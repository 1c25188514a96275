import { ciderD, ciderDocFreq, metricTokens, type CiderDocFreq } from '../eval/caption-metrics/index.js';
import type { CaptionModel } from '../model/caption-model.js';
import { sampleCaptions } from '../model/caption-sample.js';
import { END, LANG_TOKEN, type CaptionLang } from '../model/caption-vocab.js';
import { packIds, type CaptionBatch } from './caption-step.js';
import type { CaptionSplit } from './caption-data.js';

/**
 * Self-critical sequence training (Rennie et al. 2017) with the mean of the other samples as baseline (Luo 2020):
 * per image, k captions are sampled from the decoder; each is rewarded with its CIDEr-D against the image's
 * training references (document frequencies of the whole training split, as coco-caption's "corpus" mode);
 * the loss is the negative log-likelihood of each sample times its advantage over the other k - 1.
 */
export interface ScstReferences {
  /** Per language, per training image: its references as metric tokens. */
  refs: Record<CaptionLang, string[][][]>;
  docFreq: Record<CaptionLang, CiderDocFreq>;
}

export function scstReferences(train: CaptionSplit, langs: CaptionLang[]): ScstReferences {
  const refs = {} as ScstReferences['refs'];
  const docFreq = {} as ScstReferences['docFreq'];
  for (const lang of langs) {
    refs[lang] = train.captions[lang].map((cs) => cs.map((c) => metricTokens(c, lang)));
    docFreq[lang] = ciderDocFreq(refs[lang]);
  }
  return { refs, docFreq };
}

/**
 * Sample `k` captions for each of the batch's images and weight each by its advantage. `images` are indices into
 * the training split, `maps` their decoder input rows (flat, in the same order). Rows of the batch are
 * sample-major (row r shows image r % N), the layout captionLoss expects. `anchor` adds reference captions (rows
 * in the same layout, a multiple of N) at a fixed weight: teacher forcing beside the policy gradient, which keeps
 * the decoder's distribution from collapsing onto a few captions.
 */
export function scstBatch(
  model: CaptionModel,
  maps: Float32Array,
  images: number[],
  lang: CaptionLang,
  refs: ScstReferences,
  opts: { samples: number; rng: () => number; maxLength: number; anchor?: { seqs: number[][]; weight: number } },
): { batch: CaptionBatch; reward: number } {
  const N = images.length;
  const dim = maps.length / N;
  const rows = images.map((_, j) => maps.subarray(j * dim, (j + 1) * dim));
  const k = opts.samples;
  if (k < 2) throw new Error('self-critical training needs at least 2 samples per image (the baseline is the mean of the others)');
  const samples = sampleCaptions(model, rows, { lang, samples: k, rng: opts.rng, maxLength: opts.maxLength });
  const hyps: string[][] = [];
  const hypRefs: string[][][] = [];
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < N; i++) {
      hyps.push(metricTokens(model.vocab.decode(samples[i][c].ids, lang), lang));
      hypRefs.push(refs.refs[lang][images[i]]);
    }
  }
  const r = ciderD(hyps, hypRefs, { docFreq: refs.docFreq[lang] }).perImage;
  const anchor = opts.anchor && opts.anchor.weight > 0 ? opts.anchor : undefined;
  if (anchor && anchor.seqs.length % N !== 0) throw new Error(`anchor rows must be a multiple of the ${N} images`);
  const weights = new Float32Array(N * k + (anchor?.seqs.length ?? 0)).fill(anchor?.weight ?? 0);
  const seqs: number[][] = [];
  for (let i = 0; i < N; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += r[c * N + i];
    for (let c = 0; c < k; c++) weights[c * N + i] = r[c * N + i] - (sum - r[c * N + i]) / (k - 1);
  }
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < N; i++) {
      const s = samples[i][c];
      seqs.push([LANG_TOKEN[lang], ...s.ids, ...(s.ended ? [END] : [])]);
    }
  }
  if (anchor) seqs.push(...anchor.seqs);
  const { ids, T } = packIds(seqs);
  return {
    batch: { maps, images: N, rows: seqs.length, ids, T, lang, weights },
    reward: r.reduce((a, b) => a + b, 0) / r.length,
  };
}
