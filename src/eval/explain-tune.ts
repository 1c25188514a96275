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
        for (const weight of [0.25, 0.5, 1, 2]) add('dense + occlusion', { scales, pad: 0, mode: 'surgery', smooth: 0, flip: f, occlusion: { key, weight } });
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

export async function devStudy(encoder: Encoder, opts: { seed: number; n: number; sides: number[]; occlusionKeys: string[]; cropKeys?: string[]; flip: boolean; text: string }): Promise<Record<string, unknown>> {
  const needs = opts.sides.flatMap((s) => (opts.flip ? [`s${s}p0`, `s${s}p0f`] : [`s${s}p0`]));
  const items = loadDevItems(encoder.id, opts.seed, opts.n, needs, opts.occlusionKeys, opts.cropKeys);
  if (items.length === 0) throw new Error('no cached dev composites: run eval-explain.js --dev-cache first');
  const texts = new Map<string, Float32Array>();
  texts.set('query', (await encoder.embedTexts([opts.text]))[0]);
  texts.set('generic', meanDirection(await encoder.embedTexts(GENERIC_TEXTS)));
  const dev = loadFlickr8k('dev', 'en');
  // 1,000 dev captions: the direction every caption shares
  texts.set('captions', meanDirection(await encoder.embedTexts(dev.captions.slice(0, 1000).map((c) => c.text))));
  const sc = new DevScorer(items, texts);
  const n = items.length, half = Math.floor(n / 2);
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
  const rows = studySettings(opts.sides, opts.occlusionKeys, opts.flip, opts.cropKeys).map(({ group, setting }) => {
    const hits = sc.hits(setting);
    const first = sc.hits(setting, 0, half);
    return { group, ...setting, hits, accuracy: r4(hits / n), ci95: wilson(hits, n).map(r4), first_half: first, second_half: hits - first };
  });
  const ranked = [...rows].sort((a, b) => b.hits - a.hits);
  // Mirror padding was cached for the first composites only (it lost early and was dropped): scored on those.
  const padded = items.filter((it) => opts.sides.every((side) => it.grids.has(`s${side}p32`)));
  const ps = new DevScorer(padded, texts);
  const padScales = [...opts.sides.map((side) => [side]), [320, 448, 576].filter((x) => opts.sides.includes(x))];
  const mirror_pad = padded.length === 0 ? undefined : {
    n: padded.length,
    rows: padScales.flatMap((scales) => [0, 32].map((pad) => ({ scales, pad, hits: ps.hits({ scales, pad, mode: 'surgery', smooth: 0 }) }))),
  };
  return {
    n, photos: 'Flickr8k dev', signs: 'GTSRB train', text: opts.text, seed: opts.seed,
    note: 'pointing-game hits (tolerance 0) per setting on the same cached composites. pad = mirror padding px; flip = maps of the mirrored image averaged in; smooth = Gaussian sigma in cells of the finest grid; scaleNorm = each scale z-scored before averaging; baseline = the same map for a baseline text subtracted (generic captions or the mean of 1,000 dev captions); occlusion = z-scored dense map + weight x z-scored occlusion map (oCxP: C x C cells, patches of P x P); crop = likewise with a crop-similarity map (cCxS: C x C cells, windows of S x S cells cropped and enlarged). first_half / second_half: hits on composites [0, n/2) and [n/2, n), a check that a lead is not one half\'s luck.',
    best: ranked.slice(0, 15),
    rows,
    ...(mirror_pad ? { mirror_pad } : {}),
  };
}
