/** Explainability: heatmaps (dense similarity, occlusion) and word contributions for an image-text match. */
export { explainImageText, denseMap, EXPLAIN_METHODS, DENSE_BLEND, type DenseBlend, type ExplainMethod, type ExplainOptions, type Explanation } from './explain.js';
export { loadDenseExplainer, denseExplainer, surgery, DENSE_DEFAULTS, type DenseExplainer, type DenseOptions, type DenseResult, type LocationGrid } from './dense.js';
export { occlusionMap, type OcclusionOptions, type OcclusionResult } from './occlusion.js';
export { cropMap, cropRect, type CropOptions, type CropResult } from './crops.js';
export { blendMaps } from './blend.js';
export { wordContributions, splitWords, joinWords, type WordContribution } from './words.js';
export { heatmap, normalize01, upsample, resample, smooth, peak, toNested, zscore, type Heatmap } from './heatmap.js';
export { overlayPng, turbo } from './overlay.js';
export { explainerFor } from './open.js';
