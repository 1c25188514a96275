/**
 * preprocessor_config.json (CLIPImageProcessor, SiglipImageProcessor, ChineseCLIPImageProcessor)
 * -> src/image PreprocessSpec, plus an optional centre crop taken afterwards in JS. The crop step is
 * what lets "resize shortest edge to 256, crop 224" be exact: sharp's 'cover' resize gives the
 * 256x256 centre, and the centre 224x224 of that is the centre crop HF computes.
 */
import type { KernelEnum } from 'sharp';
import type { PreprocessSpec } from '../../image/preprocess.js';
import { VlmError } from '../../util/errors.js';
import type { ModelType } from './layout.js';

export interface ImagePlan {
  spec: PreprocessSpec;
  /** centre crop applied to the spec.width x spec.height result (floor offsets, as HF's center_crop). */
  crop?: { width: number; height: number };
  /** final tensor size */
  width: number;
  height: number;
}

const OPENAI_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const HALF: [number, number, number] = [0.5, 0.5, 0.5];

/** PIL resample codes -> sharp kernels (PIL: 0 NEAREST, 1 LANCZOS, 2 BILINEAR, 3 BICUBIC). */
const KERNELS: Record<number, keyof KernelEnum> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic' };

type Size = { height: number; width: number } | { shortest: number };

function positive(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** `size` / `crop_size` as HF writes them: an int, {height,width} or {shortest_edge}. */
function parseSize(v: unknown, intMeans: 'square' | 'shortest'): Size | undefined {
  if (positive(v)) return intMeans === 'square' ? { height: v, width: v } : { shortest: v };
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (positive(o.height) && positive(o.width)) return { height: o.height, width: o.width };
  if (positive(o.shortest_edge)) return { shortest: o.shortest_edge };
  return undefined;
}

function triple(v: unknown, fallback: [number, number, number]): [number, number, number] {
  if (typeof v === 'number') return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) return v as [number, number, number];
  return fallback;
}

/**
 * @param pp preprocessor_config.json
 * @param imageSize vision_config.image_size, used when the processor config names no size
 */
export function planImage(pp: Record<string, unknown>, modelType: ModelType, imageSize?: number): ImagePlan {
  const doCrop = pp.do_center_crop === undefined ? pp.crop_size !== undefined : pp.do_center_crop === true;
  // An int `size` means the shortest edge when a crop follows (CLIP), else a square (Chinese-CLIP squashes to 224x224).
  let size = parseSize(pp.size, doCrop ? 'shortest' : 'square');
  if (!size && positive(imageSize)) size = { height: imageSize, width: imageSize };
  if (!size) throw new VlmError('preprocessor_config.json: no usable "size" (and config.json has no vision_config.image_size)');
  const crop = doCrop ? parseSize(pp.crop_size, 'square') : undefined;
  if (doCrop && (!crop || 'shortest' in crop)) throw new VlmError('preprocessor_config.json: do_center_crop is set but crop_size is missing or not {height, width}');

  // A ViT needs a fixed input, so an aspect-preserving resize without a crop becomes a square centre crop.
  const resized = 'shortest' in size ? { width: size.shortest, height: size.shortest, resize: 'center-crop' as const } : { ...size, resize: 'squash' as const };
  const finalCrop = crop && !('shortest' in crop) && (crop.width !== resized.width || crop.height !== resized.height) ? crop : undefined;
  if (finalCrop && (finalCrop.width > resized.width || finalCrop.height > resized.height)) {
    throw new VlmError(`preprocessor_config.json: crop_size ${finalCrop.width}x${finalCrop.height} is larger than the resized image ${resized.width}x${resized.height}`);
  }
  const defaultMean = modelType === 'siglip' ? HALF : OPENAI_MEAN;
  const defaultStd = modelType === 'siglip' ? HALF : OPENAI_STD;
  const normalize = pp.do_normalize !== false;
  const rescale = pp.do_rescale !== false;
  const spec: PreprocessSpec = {
    width: resized.width,
    height: resized.height,
    resize: resized.resize,
    scale: rescale ? (typeof pp.rescale_factor === 'number' ? pp.rescale_factor : 1 / 255) : 1,
    mean: normalize ? triple(pp.image_mean, defaultMean) : [0, 0, 0],
    std: normalize ? triple(pp.image_std, defaultStd) : [1, 1, 1],
    layout: 'nchw',
    kernel: KERNELS[typeof pp.resample === 'number' ? pp.resample : 3] ?? 'cubic',
  };
  return { spec, crop: finalCrop, width: finalCrop?.width ?? spec.width, height: finalCrop?.height ?? spec.height };
}

/** Centre-crops a batch of NCHW images (n x 3 x h x w) to `crop`. */
export function centerCropNchw(src: Float32Array, n: number, w: number, h: number, crop: { width: number; height: number }): Float32Array {
  const { width: cw, height: ch } = crop;
  const top = Math.floor((h - ch) / 2), left = Math.floor((w - cw) / 2);
  const out = new Float32Array(n * 3 * cw * ch);
  let o = 0;
  for (let p = 0; p < n * 3; p++) {
    const plane = p * w * h;
    for (let y = 0; y < ch; y++) {
      const row = plane + (top + y) * w + left;
      out.set(src.subarray(row, row + cw), o);
      o += cw;
    }
  }
  return out;
}
