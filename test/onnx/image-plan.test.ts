import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { centerCropNchw, planImage } from '../../src/encoders/onnx/image-plan.js';
import { preprocessBatch } from '../../src/image/preprocess.js';
import { VlmError } from '../../src/util/errors.js';

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

test('CLIP: shortest edge then centre crop', () => {
  const p = planImage(
    { size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 }, do_center_crop: true, image_mean: CLIP_MEAN, image_std: CLIP_STD, resample: 3, rescale_factor: 1 / 255 },
    'clip',
  );
  assert.deepEqual(p.spec, { width: 224, height: 224, resize: 'center-crop', scale: 1 / 255, mean: CLIP_MEAN, std: CLIP_STD, layout: 'nchw', kernel: 'cubic' });
  assert.equal(p.crop, undefined);
});

test('SigLIP: squash to height x width, mean/std 0.5 by default', () => {
  const p = planImage({ size: { height: 384, width: 384 }, resample: 2 }, 'siglip');
  assert.equal(p.spec.resize, 'squash');
  assert.deepEqual([p.width, p.height, p.spec.kernel], [384, 384, 'linear']);
  assert.deepEqual(p.spec.mean, [0.5, 0.5, 0.5]);
});

test('Chinese-CLIP: an int size without crop is a square squash', () => {
  const p = planImage({ size: 224, crop_size: 224, do_center_crop: false }, 'chinese_clip');
  assert.deepEqual([p.spec.width, p.spec.height, p.spec.resize], [224, 224, 'squash']);
  assert.deepEqual(p.spec.mean, CLIP_MEAN);
});

test('no size in the processor config falls back to vision_config.image_size; none at all is an error', () => {
  assert.equal(planImage({}, 'clip', 336).width, 336);
  assert.throws(() => planImage({}, 'clip'), VlmError);
  assert.throws(() => planImage({ size: { shortest_edge: 200 }, do_center_crop: true, crop_size: { height: 224, width: 224 } }, 'clip'), /larger than the resized image/);
});

test('shortest edge 40 then crop 32 equals resize-then-extract done by hand', async () => {
  const w = 60, h = 40;
  const data = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 2654435761) >>> 24);
  const img = { width: w, height: h, data };
  const plan = planImage({ size: { shortest_edge: 40 }, crop_size: { height: 32, width: 32 }, do_normalize: false, do_rescale: false }, 'clip');
  assert.deepEqual(plan.crop, { width: 32, height: 32 });
  const px = centerCropNchw(await preprocessBatch([img], plan.spec), 1, plan.spec.width, plan.spec.height, plan.crop!);
  // HF: resize so the short side is 40 (60x40 already), then crop at floor((60-32)/2), floor((40-32)/2)
  const ref = await sharp(Buffer.from(data), { raw: { width: w, height: h, channels: 3 } }).extract({ left: 14, top: 4, width: 32, height: 32 }).raw().toBuffer();
  for (let c = 0; c < 3; c++) for (let i = 0; i < 32 * 32; i++) assert.equal(px[c * 1024 + i], ref[i * 3 + c], `channel ${c} pixel ${i}`);
});
