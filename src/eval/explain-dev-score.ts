/**
 * Scoring heatmap settings on the cached dev composites (src/eval/explain-dev-cache.ts): no network runs, so
 * hundreds of settings cost seconds. A setting is the dense map's scales, mirror pad, surgery, text baseline and
 * smoothing, optionally combined with an occlusion map; the score is pointing-game hits.
 */
import { dot, l2normalize } from '../encoders/encoder.js';
import { surgery } from '../apps/explain/dense.js';
import { blendMaps } from '../apps/explain/blend.js';
import { heatmap, peak, resample, smooth, zscore, type Heatmap } from '../apps/explain/heatmap.js';
import type { DevItem } from './explain-dev-cache.js';

export interface ScoreSetting {
  scales: number[];
  pad: number;
  /** 'raw': cosine; 'surgery': shared location direction removed (the shipped method) */
  mode: 'raw' | 'surgery';
  /** subtract the same map for a baseline text embedding (CLIP Surgery's redundant-text removal); undefined: none */
  baseline?: string;
  /** Gaussian sigma in cells of the combined grid */
  smooth: number;
  /** z-score each scale's map before averaging, so no scale dominates by its spread alone */
  scaleNorm?: boolean;
  /** average each scale's map with the map of the mirrored image (mirrored back) */
  flip?: boolean;
  /** combine with an occlusion map (occlusionKey) by z-score sum with this weight on the occlusion */
  occlusion?: { key: string; weight: number };
  /** a second occlusion map (another grid) added the same way: coarse and fine occlusion together */
  occlusion2?: { key: string; weight: number };
  /** likewise with a crop-similarity map (cropKey) */
  crop?: { key: string; weight: number };
}

/** Per item, per (variant, mode, text) score maps, computed once. */
export class DevScorer {
  private memo = new Map<string, Heatmap>();
  constructor(readonly items: DevItem[], readonly texts: Map<string, Float32Array>) {}

  /** The map one scale gives for one text: cosine or surgery scores on that scale's own grid. */
  private scaleMap(i: number, key: string, mode: ScoreSetting['mode'], text: string): Heatmap {
    const id = `${i}|${key}|${mode}|${text}`;
    let h = this.memo.get(id);
    if (!h) {
      const g = this.items[i].grids.get(key);
      if (!g) throw new Error(`dev cache: item ${i} has no ${key}`);
      const t = this.texts.get(text)!;
      const embs = Array.from({ length: g.rows * g.cols }, (_, l) => g.emb.subarray(l * g.dim, (l + 1) * g.dim));
      h = heatmap(g.rows, g.cols, mode === 'raw' ? embs.map((e) => dot(e, t)) : surgery(embs, t));
      this.memo.set(id, h);
    }
    return h;
  }

  /** The combined map of item i for setting s (the same averaging as DenseExplainer.explain). */
  map(i: number, s: ScoreSetting, text = 'query'): Heatmap {
    const grids = s.scales.map((side) => this.items[i].grids.get(`s${side}p${s.pad}`)!);
    const n = Math.max(...grids.map((g) => g.rows));
    const out = heatmap(n, n);
    const views = s.flip ? ['', 'f'] : [''];
    for (const side of s.scales) {
      for (const f of views) {
        const key = `s${side}p${s.pad}${f}`;
        const id = `${i}|${key}|${s.mode}|${text}|${s.baseline ?? ''}|${n}|${s.scaleNorm ?? false}`;
        let r = this.memo.get(id);
        if (!r) {
          r = resample(this.scaleMap(i, key, s.mode, text), n, n);
          if (s.baseline) {
            const b = resample(this.scaleMap(i, key, s.mode, s.baseline), n, n);
            r = heatmap(n, n, r.values.map((x, j) => x - b.values[j]));
          }
          if (s.scaleNorm) r = zscore(r);
          this.memo.set(id, r);
        }
        for (let j = 0; j < n * n; j++) out.values[j] += r.values[j] / (s.scales.length * views.length);
      }
    }
    let m = s.smooth > 0 ? smooth(out, s.smooth) : out;
    // The library's blend (z-scored maps, weighted sum); extra maps come on the dense grid first, as in explain.
    const it = this.items[i];
    const extras = [
      ...(s.occlusion ? [{ map: it.occlusion.get(s.occlusion.key)!, weight: s.occlusion.weight }] : []),
      ...(s.occlusion2 ? [{ map: it.occlusion.get(s.occlusion2.key)!, weight: s.occlusion2.weight }] : []),
      ...(s.crop ? [{ map: it.crops.get(s.crop.key)!, weight: s.crop.weight }] : []),
    ];
    if (extras.length) m = blendMaps([{ map: m, weight: 1 }, ...extras.map((e) => ({ map: resample(e.map, n, n), weight: e.weight }))]);
    return m;
  }

  hit(i: number, s: ScoreSetting, tolerance = 0): boolean {
    const it = this.items[i];
    const p = peak(this.map(i, s), it.width, it.height);
    const b = it.box;
    return p.x >= b.x0 - tolerance && p.x < b.x1 + tolerance && p.y >= b.y0 - tolerance && p.y < b.y1 + tolerance;
  }

  /** Hits of setting s over items [from, to). */
  hits(s: ScoreSetting, from = 0, to = this.items.length): number {
    let k = 0;
    for (let i = from; i < to; i++) k += Number(this.hit(i, s));
    return k;
  }
}

/** The mean of some embeddings, L2-normalised: a baseline text direction. */
export function meanDirection(embs: Float32Array[]): Float32Array {
  const m = new Float32Array(embs[0].length);
  for (const e of embs) for (let j = 0; j < m.length; j++) m[j] += e[j] / embs.length;
  return l2normalize(m);
}
