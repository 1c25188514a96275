export type { ImageInput, RgbImage } from './types.js';
export { isRgbImage } from './types.js';
export { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './limits.js';
export { decodeImage } from './decode.js';
export { preprocessImage, preprocessBatch, type PreprocessSpec } from './preprocess.js';
export { SUPPORTED_FORMATS } from './source.js';
export { readImageMeta, type ImageMeta } from './meta.js';
export { makeThumbnail, type ThumbnailOptions } from './thumbnail.js';
