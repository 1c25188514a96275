/**
 * Blending heatmaps of different methods: each map is z-scored on the finest grid (so no method wins by its
 * units or spread alone) and the weighted sum is taken. Dense maps are fine but see each location out of the
 * context the head was trained on; occlusion and crop maps are coarse but ask the whole model about whole
 * images. Their errors differ, so the blend points better than either (measured on dev composites:
 * models/default/eval/explain-dev.json).
 */
import { heatmap, resample, zscore, type Heatmap } from './heatmap.js';

export function blendMaps(parts: { map: Heatmap; weight: number }[]): Heatmap {
  if (parts.length === 0) throw new RangeError('blendMaps: no maps');
  const rows = Math.max(...parts.map((p) => p.map.rows)), cols = Math.max(...parts.map((p) => p.map.cols));
  const out = heatmap(rows, cols);
  for (const { map, weight } of parts) {
    const z = zscore(resample(map, rows, cols)).values;
    for (let i = 0; i < z.length; i++) out.values[i] += weight * z[i];
  }
  return out;
}
