/**
 * Image -> float tensor for an image tower. For path/bytes input the decode, orientation and resize
 * run as one libvips pipeline straight to WxH raw RGB (JPEG shrink-on-load included), so a 12 MP
 * photo is never materialised at full size in JS.
 */
import { availableParallelism } from 'node:os';
import type { KernelEnum } from 'sharp';
import { resolveLimits, type ImageLimits } from './limits.js';
import { openImage, readRaw } from './source.js';
import { isRgbImage, type ImageInput } from './types.js';

export interface PreprocessSpec {
  width: number;
  height: number;
  /** squash: resize to exactly WxH ignoring aspect; center-crop: resize shortest side then crop the centre (CLIP); pad: letterbox */
  resize: 'squash' | 'center-crop' | 'pad';
  /** multiply 0..255 values by this first (default 1/255) */
  scale?: number;
  mean?: [number, number, number];
  std?: [number, number, number];
  layout: 'nhwc' | 'nchw';
  /** horizontal flip (feature augmentation) */
  flip?: boolean;
  /** letterbox colour for resize 'pad', 0..255 RGB (default black) */
  padColor?: [number, number, number];
  /**
   * Resampling kernel (default 'cubic': Catmull-Rom, which is what PIL's BICUBIC computes, the resize
   * CLIP/open_clip towers were trained with; sharp's own default 'lanczos3' is slightly sharper).
   */
  kernel?: keyof KernelEnum;
}

/** One image as a Float32Array of length 3*W*H in spec.layout (no batch axis). */
export async function preprocessImage(input: ImageInput, spec: PreprocessSpec, limits?: Partial<ImageLimits>): Promise<Float32Array> {
  const out = new Float32Array(3 * spec.width * spec.height);
  await preprocessInto(input, makeContext(spec, limits), out, 0);
  return out;
}

/**
 * Several images concatenated (N*3*W*H; NHWC or NCHW per spec). Runs a few libvips pipelines at
 * once because sharp's per-image threading is 1 on glibc Linux. Rejects on the first bad image;
 * the error names its path, or "image #i" for in-memory input.
 */
export async function preprocessBatch(inputs: ImageInput[], spec: PreprocessSpec, limits?: Partial<ImageLimits>): Promise<Float32Array> {
  const ctx = makeContext(spec, limits);
  const size = 3 * spec.width * spec.height;
  const out = new Float32Array(inputs.length * size);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const i = next++;
      const input = inputs[i];
      await preprocessInto(input, ctx, out, i * size, typeof input === 'string' ? undefined : `image #${i}`);
    }
  };
  const lanes = Math.min(inputs.length, Math.max(2, availableParallelism()));
  await Promise.all(Array.from({ length: lanes }, worker));
  return out;
}

interface Context {
  spec: PreprocessSpec;
  limits: ImageLimits;
  /** per channel c, lut[c*256 + v] = (v*scale - mean[c]) / std[c] */
  lut: Float32Array;
}

function makeContext(spec: PreprocessSpec, limits?: Partial<ImageLimits>): Context {
  const { width, height } = spec;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`preprocess: width and height must be positive integers, got ${width}x${height}`);
  }
  if (!['squash', 'center-crop', 'pad'].includes(spec.resize)) throw new RangeError(`preprocess: unknown resize '${spec.resize}'`);
  if (spec.layout !== 'nhwc' && spec.layout !== 'nchw') throw new RangeError(`preprocess: unknown layout '${spec.layout}'`);
  const scale = spec.scale ?? 1 / 255;
  const mean = spec.mean ?? [0, 0, 0];
  const std = spec.std ?? [1, 1, 1];
  if (mean.length !== 3 || std.length !== 3 || std.some((s) => !s || !Number.isFinite(s))) {
    throw new RangeError('preprocess: mean and std need 3 finite values, std non-zero');
  }
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v * scale - mean[c]) / std[c];
  return { spec, limits: resolveLimits(limits), lut };
}

const FIT = { squash: 'fill', 'center-crop': 'cover', pad: 'contain' } as const;

async function preprocessInto(input: ImageInput, ctx: Context, out: Float32Array, offset: number, label?: string): Promise<void> {
  const { spec } = ctx;
  const { width: W, height: H } = spec;
  // Pixels already at the model's size (the library indexer decodes once for thumbnail and model): a
  // same-size resize is the identity, so skip the libvips round trip (~1 ms an image).
  if (isRgbImage(input) && input.width === W && input.height === H && !spec.flip && input.data.length === 3 * W * H) {
    writeTensor(input.data, ctx, out, offset);
    return;
  }
  const img = await openImage(input, ctx.limits, label);
  const [r, g, b] = spec.padColor ?? [0, 0, 0];
  img.pipeline.resize(W, H, {
    fit: FIT[spec.resize],
    position: 'centre',
    kernel: spec.kernel ?? 'cubic',
    background: { r, g, b, alpha: 1 },
  });
  if (spec.flip) img.pipeline.flop(); // flop = mirror left-right; sharp's flip() is vertical
  const { data, width, height } = await readRaw(img);
  if (width !== W || height !== H) throw new Error(`internal: resize gave ${width}x${height}, wanted ${W}x${H}`);
  writeTensor(data, ctx, out, offset);
}

/** 8-bit interleaved RGB at the spec's size -> normalised floats in the spec's layout. */
function writeTensor(data: Uint8Array, ctx: Context, out: Float32Array, offset: number): void {
  const { spec, lut } = ctx;
  const n = spec.width * spec.height;
  if (spec.layout === 'nhwc') {
    for (let i = 0, k = 0; i < n; i++, k += 3) {
      out[offset + k] = lut[data[k]];
      out[offset + k + 1] = lut[256 + data[k + 1]];
      out[offset + k + 2] = lut[512 + data[k + 2]];
    }
  } else {
    const o0 = offset, o1 = offset + n, o2 = offset + 2 * n;
    for (let i = 0, k = 0; i < n; i++, k += 3) {
      out[o0 + i] = lut[data[k]];
      out[o1 + i] = lut[256 + data[k + 1]];
      out[o2 + i] = lut[512 + data[k + 2]];
    }
  }
}
