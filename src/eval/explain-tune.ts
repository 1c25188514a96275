/**
 * Choosing the heatmap settings on dev composites (GTSRB train signs on Flickr8k dev photos; the test composites
 * are never seen): the expensive parts are cached once (src/eval/explain-dev-cache.ts), then a fixed study of
 * settings is scored from the cache (src/eval/explain-dev-score.ts) and written to <model>/eval/explain-dev.json.
 */
import type { Encoder } from '../encoders/encoder.js';
import { loadFlickr8k } from '../train/datasets/flickr8k.js';
import { loadDevItem, type DevItem } from './explain-dev-cache.js';
import { DevScorer, meanDirection, type ScoreSetting } from './explain-dev-score.js';
import { wilson } from './explain-stats.js';

/** Generic captions whose mean direction is tried as a text baseline (CLIP Surgery's redundant text). */
export const GENERIC_TEXTS = ['a photo', 'a picture', 'an image', 'a photo of something'];

/** Occlusion weights tried in the blend (relative to the dense map's 1, both z-scored). */
export const OCCLUSION_WEIGHTS = [0.25, 0.5, 0.75, 1, 1.5, 2];

/** The dense settings studied (surgery throughout; raw cosine only for single scales). */
export function studySettings(sides: number[], occlusionKeys: string[], flip: boolean, cropKeys: string[] = []): { group: string; setting: ScoreSetting }[] {
  const out: { group: string; setting: ScoreSetting }[] = [];
  const add = (group: string, setting: ScoreSetting) => out.push({ group, setting });
  for (const side of sides) for (const mode of ['surgery', 'raw'] as const) add('single scale', { scales: [side], pad: 0, mode, smooth: 0 });
  const sets = [[320, 448, 576], [224, 320, 448, 576], sides.filter((s) => s >= 320), sides].filter((set, i, all) => set.every((s) => sides.includes(s)) && all.findIndex((o) => o.join() === set.join()) === i);
  for (const scales of sets) {
    for (const f of flip ? [false, true] : [false]) {
      for (const smooth of [0, 0.5, 1, 1.5]) for (const scaleNorm of [false, true]) add('scales', { scales, pad: 0, mode: 'surgery', smooth, scaleNorm, flip: f });
      for (const baseline of ['generic', 'captions']) add('text baseline', { scales, pad: 0, mode: 'surgery', smooth: 0, baseline, flip: f });
      for (const key of occlusionKeys) {
        for (const weight of OCCLUSION_WEIGHTS) add('dense + occlusion', { scales, pad: 0, mode: 'surgery', smooth: 0, flip: f, occlusion: { key, weight } });
      }
      // two occlusion grids at once (a coarse one that sees whole objects, a fine one that places them)
      for (const [a, key] of occlusionKeys.entries()) {
        for (const key2 of occlusionKeys.slice(a + 1)) {
          for (const weight of [0.25, 0.5]) for (const weight2 of [0.25, 0.5]) add('dense + 2 occlusions', { scales, pad: 0, mode: 'surgery', smooth: 0, flip: f, occlusion: { key, weight }, occlusion2: { key: key2, weight: weight2 } });
        }
      }
      for (const key of cropKeys) {
        for (const weight of [0.25, 0.5, 1, 2]) add('dense + crops', { scales, pad: 0, mode: 'surgery', smooth: 0, flip: f, crop: { key, weight } });
        for (const okey of occlusionKeys) {
          for (const weight of [0.5, 1]) add('dense + occlusion + crops', { scales, pad: 0, mode: 'surgery', smooth: 0, flip: f, occlusion: { key: okey, weight }, crop: { key, weight } });
        }
      }
    }
  }
  // occlusion alone: an enormous weight makes the dense part irrelevant
  for (const key of occlusionKeys) add('occlusion', { scales: [sides[0]], pad: 0, mode: 'raw', smooth: 0, occlusion: { key, weight: 1e6 } });
  for (const key of cropKeys) add('crops', { scales: [sides[0]], pad: 0, mode: 'raw', smooth: 0, crop: { key, weight: 1e6 } });
  return out;
}

/** Reads the cached composites 0..n-1 that hold every variant the study needs. */
export function loadDevItems(modelId: string, seed: number, n: number, needs: string[], occlusionKeys: string[], cropKeys: string[] = []): DevItem[] {
  const items: DevItem[] = [];
  for (let k = 0; k < n; k++) {
    const it = loadDevItem(modelId, seed, k);
    if (!it || needs.some((v) => !it.grids.has(v)) || occlusionKeys.some((o) => !it.occlusion.has(o)) || cropKeys.some((c) => !it.crops.has(c))) break;
    items.push(it);
  }
  return items;
}

/**
 * Scores the study on the cached composites of each seed (the same settings on every seed). A row's hits are
 * summed over seeds; by_seed keeps each seed's hits and its two halves, and worst_half is the lowest accuracy of
 * any half of any seed: a setting that leads on every half is not one half's luck.
 */
export async function devStudy(encoder: Encoder, opts: { seeds: number[]; n: number; sides: number[]; occlusionKeys: string[]; cropKeys?: string[]; flip: boolean; text: string }): Promise<Record<string, unknown>> {
  const needs = opts.sides.flatMap((s) => (opts.flip ? [`s${s}p0`, `s${s}p0f`] : [`s${s}p0`]));
  const perSeed = opts.seeds.map((seed) => ({ seed, items: loadDevItems(encoder.id, seed, opts.n, needs, opts.occlusionKeys, opts.cropKeys) }));
  for (const p of perSeed) if (p.items.length === 0) throw new Error(`no cached dev composites for seed ${p.seed}: run eval-explain.js --dev-cache first`);
  const texts = new Map<string, Float32Array>();
  texts.set('query', (await encoder.embedTexts([opts.text]))[0]);
  texts.set('generic', meanDirection(await encoder.embedTexts(GENERIC_TEXTS)));
  const dev = loadFlickr8k('dev', 'en');
  // 1,000 dev captions: the direction every caption shares
  texts.set('captions', meanDirection(await encoder.embedTexts(dev.captions.slice(0, 1000).map((c) => c.text))));
  const scorers = perSeed.map((p) => ({ seed: p.seed, sc: new DevScorer(p.items, texts), n: p.items.length, half: Math.floor(p.items.length / 2) }));
  const n = scorers.reduce((a, s) => a + s.n, 0);
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  const rows = studySettings(opts.sides, opts.occlusionKeys, opts.flip, opts.cropKeys).map(({ group, setting }) => {
    const parts = scorers.map(({ seed, sc, n: k, half }) => {
      const hits = sc.hits(setting), first = sc.hits(setting, 0, half);
      return { seed, n: k, hits, first_half: first, second_half: hits - first, worst: Math.min(first / half, (hits - first) / (k - half)) };
    });
    const hits = parts.reduce((a, p) => a + p.hits, 0);
    const halves = parts.length === 1 ? { first_half: parts[0].first_half, second_half: parts[0].second_half }
      : { by_seed: Object.fromEntries(parts.map(({ seed, n: k, hits: h, first_half, second_half }) => [seed, { n: k, hits: h, first_half, second_half }])) };
    return { group, ...setting, hits, accuracy: r4(hits / n), ci95: wilson(hits, n).map(r4), ...halves, worst_half: r4(Math.min(...parts.map((p) => p.worst))) };
  });
  const ranked = [...rows].sort((a, b) => b.hits - a.hits || b.worst_half - a.worst_half);
  // Mirror padding was cached for the first composites of the first seed only (it lost early and was dropped): scored on those.
  const padded = perSeed[0].items.filter((it) => opts.sides.every((side) => it.grids.has(`s${side}p32`)));
  const ps = new DevScorer(padded, texts);
  const padScales = [...opts.sides.map((side) => [side]), [320, 448, 576].filter((x) => opts.sides.includes(x))];
  const mirror_pad = padded.length === 0 ? undefined : {
    n: padded.length,
    rows: padScales.flatMap((scales) => [0, 32].map((pad) => ({ scales, pad, hits: ps.hits({ scales, pad, mode: 'surgery', smooth: 0 }) }))),
  };
  return {
    n, photos: 'Flickr8k dev', signs: 'GTSRB train', text: opts.text, ...(opts.seeds.length === 1 ? { seed: opts.seeds[0] } : { seeds: opts.seeds, n_per_seed: scorers.map((s) => s.n) }),
    note: 'pointing-game hits (tolerance 0) per setting on the same cached composites. pad = mirror padding px; flip = maps of the mirrored image averaged in; smooth = Gaussian sigma in cells of the finest grid; scaleNorm = each scale z-scored before averaging; baseline = the same map for a baseline text subtracted (generic captions or the mean of 1,000 dev captions); occlusion = z-scored dense map + weight x z-scored occlusion map (oCxP: C x C cells, patches of P x P; occlusion2: a second grid added likewise); crop = likewise with a crop-similarity map (cCxS: C x C cells, windows of S x S cells cropped and enlarged). first_half / second_half (by_seed with several seeds): hits on composites [0, n/2) and [n/2, n); worst_half: the lowest accuracy of any half of any seed, a check that a lead is not one half\'s luck.',
    best: ranked.slice(0, 15),
    rows,
    ...(mirror_pad ? { mirror_pad } : {}),
  };
}
