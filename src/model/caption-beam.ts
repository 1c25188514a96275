import { blockLogits, decodeStep, encodeMemory, memoryKeys, type SelfCache } from './caption-decoder.js';
import type { CaptionModel } from './caption-model.js';
import { END, LANG_TOKEN, type CaptionLang } from './caption-vocab.js';
import { tf } from './tf.js';

export interface BeamOptions {
  lang: CaptionLang;
  /** Beam width; 1 = greedy. */
  beam?: number;
  /** GNMT length penalty exponent: score = logp / ((5 + len) / 6)^alpha (0 = raw log-probability). */
  lengthAlpha?: number;
  /** Never repeat an n-gram of this size within a caption (0 = off). */
  noRepeatNgram?: number;
  /** Subtracted from the log-probability of a token once per earlier occurrence in the caption (0 = off). */
  repetitionPenalty?: number;
  /** Fewest content tokens before [END] may be chosen. */
  minLength?: number;
  /** Images per decoder call. */
  batch?: number;
  /** More decoders (same vocabulary and inputs): each step's log-probabilities are the mean over all of them. */
  ensemble?: CaptionModel[];
}

export interface BeamHypothesis {
  /** Generated ids without the language token, [END] excluded. */
  ids: number[];
  text: string;
  /** Sum of token log-probabilities ([END] included). */
  logp: number;
  /** Length-normalised score used for ranking. */
  score: number;
}

interface Hyp {
  ids: number[];
  logp: number;
  /** Row of the self-attention cache that holds this hypothesis' prefix (-1 before the first step). */
  row: number;
}

/** Would appending `tok` repeat an n-gram already present in `ids`? */
export function repeatsNgram(ids: number[], tok: number, n: number): boolean {
  if (n <= 0 || ids.length < n - 1) return false;
  const tail = [...ids.slice(ids.length - (n - 1)), tok];
  for (let i = 0; i + n <= ids.length; i++) {
    let same = true;
    for (let j = 0; j < n && same; j++) same = ids[i + j] === tail[j];
    if (same) return true;
  }
  return false;
}

export function lengthPenalty(len: number, alpha: number): number {
  return alpha === 0 ? 1 : ((5 + len) / 6) ** alpha;
}

/** Cross-attention keys/values of a batch of decoder input rows, per layer [N, H, M, dh]. */
export type BatchKeys = { k: tf.Tensor4D; v: tf.Tensor4D }[];

export function batchMemoryKeys(model: CaptionModel, maps: Float32Array[]): BatchKeys {
  const { config: cfg, params: P } = model;
  const N = maps.length;
  const dim = maps[0].length;
  const H = cfg.heads;
  const flat = new Float32Array(N * dim);
  maps.forEach((m, i) => flat.set(m, i * dim));
  return tf.tidy(() => {
    const mem = encodeMemory(P, cfg, tf.tensor2d(flat, [N, dim]), false);
    return memoryKeys(P, cfg, mem).map(({ k, v }) => ({
      k: tf.reshape(k, [N, H, k.shape[1], k.shape[2]]) as tf.Tensor4D,
      v: tf.reshape(v, [N, H, v.shape[1], v.shape[2]]) as tf.Tensor4D,
    }));
  });
}

export function disposeKeys(keys: { k: tf.Tensor; v: tf.Tensor }[] | undefined): void {
  if (keys) for (const { k, v } of keys) tf.dispose([k, v]);
}

/**
 * One incremental decoder step for R rows, row i continuing image imgs[i] from the cache row parents[i] (ignored at
 * t = 0) with the token last[i]. Returns the log-probabilities over the language block [from, to) with [END] at
 * local index 0, flat [R, V], and the extended self-attention cache (the previous one is disposed).
 */
export function stepLogProbs(
  model: CaptionModel,
  keys: BatchKeys,
  imgs: number[],
  last: Int32Array,
  t: number,
  prev: SelfCache | undefined,
  parents: number[],
  from: number,
  to: number,
): { lp: Float32Array; nextCache: SelfCache } {
  const { config: cfg, embedding, params: P } = model;
  const R = imgs.length;
  const H = cfg.heads;
  const { logp, nextCache } = tf.tidy(() => {
    const x = tf.tensor3d(embedding.gather(last), [R, 1, cfg.d_model]);
    const idx = tf.tensor1d(imgs, 'int32');
    const mem = keys.map(({ k, v }) => ({
      k: tf.reshape(tf.gather(k, idx), [R * H, k.shape[2], k.shape[3]]) as tf.Tensor3D,
      v: tf.reshape(tf.gather(v, idx), [R * H, v.shape[2], v.shape[3]]) as tf.Tensor3D,
    }));
    // Each row continues its parent's prefix: pick the parents' cache rows.
    let own: SelfCache | undefined;
    if (prev) {
      const par = tf.tensor1d(parents, 'int32');
      const pick = (c: tf.Tensor3D) => {
        const [, tt, dh] = c.shape;
        return tf.reshape(tf.gather(tf.reshape(c, [-1, H, tt, dh]), par), [R * H, tt, dh]) as tf.Tensor3D;
      };
      own = prev.map(({ k, v }) => ({ k: pick(k), v: pick(v) }));
    }
    const step = decodeStep(P, cfg, x, t, own, mem);
    return { logp: tf.logSoftmax(blockLogits(P, step.hidden, END, from, to)), nextCache: step.cache };
  });
  disposeKeys(prev);
  const lp = logp.dataSync() as Float32Array;
  logp.dispose();
  return { lp, nextCache };
}

/**
 * Beam search over a batch of images (flattened tower maps): one decoder step per position for all live
 * hypotheses of all images in one call, with self-attention keys/values cached and re-gathered by parent.
 * Returns each image's finished hypotheses, best first (the whole final beam, for re-ranking).
 */
export function beamSearch(model: CaptionModel, maps: Float32Array[], opts: BeamOptions): BeamHypothesis[][] {
  const out: BeamHypothesis[][] = [];
  const per = opts.batch ?? 16;
  for (let i = 0; i < maps.length; i += per) out.push(...beamBatch(model, maps.slice(i, i + per), opts));
  return out;
}

function beamBatch(model: CaptionModel, maps: Float32Array[], opts: BeamOptions): BeamHypothesis[][] {
  const { config: cfg, vocab } = model;
  const K = Math.max(1, opts.beam ?? 3);
  const alpha = opts.lengthAlpha ?? 0.7;
  const ngram = opts.noRepeatNgram ?? 3;
  const repPen = opts.repetitionPenalty ?? 0;
  const minLen = opts.minLength ?? 2;
  const N = maps.length;
  // Scores come for the language block only: local index 0 = [END], j >= 1 = id from + j - 1.
  const [from, to] = vocab.ranges[opts.lang];
  const V = to - from + 1;
  const idOf = (j: number) => (j === 0 ? END : from + j - 1);
  const langTok = LANG_TOKEN[opts.lang];
  const models = [model, ...(opts.ensemble ?? [])];
  for (const m of models) if (m.vocab.ranges[opts.lang].join() !== vocab.ranges[opts.lang].join()) throw new Error('ensemble decoders must share the vocabulary');
  const keys = models.map((m) => batchMemoryKeys(m, maps));

  const live: Hyp[][] = Array.from({ length: N }, () => [{ ids: [], logp: 0, row: -1 }]);
  const caches: (SelfCache | undefined)[] = models.map(() => undefined);
  const done: BeamHypothesis[][] = Array.from({ length: N }, () => []);
  const finished = (img: number) => done[img].length >= K;
  const finalise = (h: Hyp): BeamHypothesis => ({ ids: h.ids, text: vocab.decode(h.ids, opts.lang), logp: h.logp, score: h.logp / lengthPenalty(h.ids.length + 1, alpha) });

  try {
    for (let t = 0; t < cfg.max_length; t++) {
      const rows: { img: number; hyp: Hyp }[] = [];
      live.forEach((hs, img) => {
        if (!finished(img)) for (const hyp of hs) rows.push({ img, hyp });
      });
      if (rows.length === 0) break;
      const R = rows.length;
      const last = new Int32Array(R);
      rows.forEach((r, i) => (last[i] = t === 0 ? langTok : r.hyp.ids[t - 1]));
      const imgs = rows.map((r) => r.img);
      const parents = rows.map((r) => r.hyp.row);
      let lp: Float32Array | undefined;
      models.forEach((m, j) => {
        const step = stepLogProbs(m, keys[j], imgs, last, t, caches[j], parents, from, to);
        caches[j] = step.nextCache;
        if (!lp) lp = step.lp;
        else for (let q = 0; q < lp.length; q++) lp[q] += step.lp[q];
      });
      if (models.length > 1) for (let q = 0; q < lp!.length; q++) lp![q] /= models.length;

      const cands: { img: number; hyp: Hyp; tok: number; logp: number; row: number }[][] = Array.from({ length: N }, () => []);
      rows.forEach((r, i) => {
        const o = i * V;
        const counts = new Map<number, number>();
        if (repPen > 0) for (const id of r.hyp.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
        // Top K allowed continuations of this hypothesis.
        const best: { tok: number; s: number }[] = [];
        for (let j = 0; j < V; j++) {
          const tok = idOf(j);
          if (tok === END && r.hyp.ids.length < minLen) continue;
          let s = lp![o + j];
          if (repPen > 0 && tok !== END) s -= repPen * (counts.get(tok) ?? 0);
          if (best.length === K && s <= best[K - 1].s) continue;
          // Repetition control: no token twice in a row ("a a", "只只"), no repeated n-gram.
          if (tok !== END && (tok === r.hyp.ids[r.hyp.ids.length - 1] || repeatsNgram(r.hyp.ids, tok, ngram))) continue;
          best.push({ tok, s });
          best.sort((a, b) => b.s - a.s);
          if (best.length > K) best.pop();
        }
        for (const b of best) cands[r.img].push({ img: r.img, hyp: r.hyp, tok: b.tok, logp: r.hyp.logp + b.s, row: i });
      });
      for (let img = 0; img < N; img++) {
        if (finished(img)) continue;
        const cs = cands[img].sort((a, b) => b.logp - a.logp);
        const next: Hyp[] = [];
        for (const c of cs) {
          if (next.length >= K || finished(img)) break;
          if (c.tok === END) done[img].push(finalise({ ids: c.hyp.ids, logp: c.logp, row: c.row }));
          else next.push({ ids: [...c.hyp.ids, c.tok], logp: c.logp, row: c.row });
        }
        live[img] = next;
      }
    }
  } finally {
    for (const c of caches) disposeKeys(c);
    for (const k of keys) disposeKeys(k);
  }
  return done.map((d, img) => {
    const all = d.length > 0 ? d : live[img].map(finalise);
    return all.sort((a, b) => b.score - a.score);
  });
}
