import type { LoadedVlm } from '../model/checkpoint.js';
import { retrievalMetrics, similarityMatrix, type RankStats } from '../eval/retrieval-metrics.js';
import type { Flickr8kLang } from './datasets/flickr8k.js';
import type { SplitData } from './training-data.js';

export interface LangRetrieval {
  t2i: RankStats;
  i2t: RankStats;
  /** Mean of R@1, R@5, R@10 over both directions. */
  meanRecall: number;
}

export interface RetrievalReport {
  split: string;
  images: number;
  langs: Partial<Record<Flickr8kLang, LangRetrieval>>;
  /** Mean of the per-language mean recalls: the model-selection metric. */
  meanRecall: number;
}

/**
 * Retrieval over a split's images (1,000 for dev/test) with each language's captions as queries,
 * exactly as `vlm eval retrieval` measures it (same metric code), but from cached features.
 */
export function evaluateRetrieval(vlm: LoadedVlm, data: SplitData, langs: Flickr8kLang[]): RetrievalReport {
  const feats: Record<string, Float32Array[]> = {};
  const flipped: Record<string, Float32Array[]> = {};
  for (const f of data.features) {
    feats[f.key] = data.images.map((_, i) => f.orig.subarray(i * f.dim, (i + 1) * f.dim));
    flipped[f.key] = data.images.map((_, i) => f.flip.subarray(i * f.dim, (i + 1) * f.dim));
  }
  const imageEmb = vlm.embedImageFeatures(feats, { flipped });
  const report: RetrievalReport = { split: data.split, images: data.images.length, langs: {}, meanRecall: 0 };
  for (const lang of langs) {
    const caps = data.captions.filter((c) => c.lang === lang);
    if (caps.length === 0) continue;
    const textEmb = embedIds(vlm, caps.map((c) => c.ids));
    const sim = similarityMatrix(textEmb, imageEmb);
    const m = retrievalMetrics(sim, caps.length, data.images.length, caps.map((c) => c.imageIndex));
    const meanRecall = (m.t2i.r1 + m.t2i.r5 + m.t2i.r10 + m.i2t.r1 + m.i2t.r5 + m.i2t.r10) / 6;
    report.langs[lang] = { t2i: m.t2i, i2t: m.i2t, meanRecall };
  }
  const vals = Object.values(report.langs).map((l) => l!.meanRecall);
  report.meanRecall = vals.reduce((a, b) => a + b, 0) / Math.max(1, vals.length);
  return report;
}

/** Text embeddings from already-tokenized captions (length-sorted batches, results in input order). */
function embedIds(vlm: LoadedVlm, seqs: Int32Array[]): Float32Array[] {
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
  const out = new Array<Float32Array>(seqs.length);
  for (let s = 0; s < order.length; s += 256) {
    const idx = order.slice(s, s + 256);
    const T = Math.max(...idx.map((i) => seqs[i].length));
    const ids = new Int32Array(idx.length * T);
    const mask = new Float32Array(idx.length * T);
    idx.forEach((i, r) => {
      ids.set(seqs[i], r * T);
      mask.fill(1, r * T, r * T + seqs[i].length);
    });
    vlm.model.embedTokenIds({ ids, mask, length: T }).forEach((e, r) => (out[idx[r]] = e));
  }
  return out;
}

/** One-line summary for logs. */
export function formatReport(r: RetrievalReport): string {
  const parts = Object.entries(r.langs).map(
    ([lang, l]) => `${lang} t2i ${l!.t2i.r1.toFixed(1)}/${l!.t2i.r5.toFixed(1)}/${l!.t2i.r10.toFixed(1)} i2t ${l!.i2t.r1.toFixed(1)}/${l!.i2t.r5.toFixed(1)}/${l!.i2t.r10.toFixed(1)}`,
  );
  return `${r.split}: ${parts.join(' | ')} | mean recall ${r.meanRecall.toFixed(2)}`;
}
