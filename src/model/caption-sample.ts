import { batchMemoryKeys, disposeKeys, stepLogProbs } from './caption-beam.js';
import type { SelfCache } from './caption-decoder.js';
import type { CaptionModel } from './caption-model.js';
import { LANG_TOKEN, type CaptionLang } from './caption-vocab.js';

export interface SampledCaption {
  /** Generated ids without the language token, [END] excluded. */
  ids: number[];
  /** Did the caption end with [END] (else it was cut at the length limit)? */
  ended: boolean;
}

/**
 * Draw `samples` captions per image from the decoder's own distribution (multinomial at temperature 1, no
 * repetition control): the exploration self-critical training learns from. Result [image][sample].
 */
export function sampleCaptions(model: CaptionModel, maps: Float32Array[], opts: { lang: CaptionLang; samples: number; rng: () => number; maxLength?: number }): SampledCaption[][] {
  const [from, to] = model.vocab.ranges[opts.lang];
  const V = to - from + 1;
  const maxLen = Math.min(opts.maxLength ?? model.config.max_length, model.config.max_length);
  const out: SampledCaption[][] = maps.map(() => Array.from({ length: opts.samples }, () => ({ ids: [], ended: false })));
  // Live rows: (image, sample, row of the previous step's cache) still generating.
  let live = out.flatMap((ss, img) => ss.map((s) => ({ img, s, row: 0 })));
  const keys = batchMemoryKeys(model, maps);
  let cache: SelfCache | undefined;
  try {
    for (let t = 0; t < maxLen && live.length > 0; t++) {
      const last = Int32Array.from(live, (r) => (t === 0 ? LANG_TOKEN[opts.lang] : r.s.ids[t - 1]));
      const step = stepLogProbs(model, keys, live.map((r) => r.img), last, t, cache, live.map((r) => r.row), from, to);
      cache = step.nextCache;
      const next: typeof live = [];
      live.forEach((r, i) => {
        // Inverse-CDF draw from this row's distribution; local index 0 is [END].
        let u = opts.rng();
        let j = 0;
        for (; j < V - 1; j++) {
          u -= Math.exp(step.lp[i * V + j]);
          if (u <= 0) break;
        }
        if (j === 0) r.s.ended = true;
        else {
          r.s.ids.push(from + j - 1);
          next.push({ ...r, row: i });
        }
      });
      live = next;
    }
  } finally {
    disposeKeys(cache);
    disposeKeys(keys);
  }
  return out;
}
