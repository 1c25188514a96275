import { imageMetaFromHeader } from '../../image/meta.js';
import type { PreprocessSpec } from '../../image/preprocess.js';
import { makeThumbnail, encodeWebp } from '../../image/thumbnail.js';
import { decodeForModel, decodeInside, resizeArea, thumbnailSize } from '../../image/thumbnail-pixels.js';
import type { ImageInput } from '../../image/types.js';
import type { ImageFacts } from './library-item.js';
import { hashRgb, PHASH_VERSION } from './perceptual-hash.js';
import { THUMBNAIL_SIZE, THUMBNAIL_WEBP } from './thumbnail-spec.js';

export { THUMBNAIL_SIZE } from './thumbnail-spec.js';

export interface DecodedFacts {
  facts: ImageFacts;
  /** what to hand the encoder: the model-size pixels when they were decoded here, else the bytes */
  input: ImageInput;
}

/**
 * Header, EXIF, thumbnail and perceptual hash of one image file whose bytes were already read, from
 * one decode. Given the encoder's preprocessing spec (Encoder.imagePreprocess) with a squash resize,
 * that decode is the encoder's own input (identical pixels, see thumbnail-pixels.ts) and the
 * thumbnail is shrunk from it; otherwise the file is decoded at thumbnail size and the encoder reads
 * the bytes itself. Every pixel is decoded under the image limits, so an oversized, truncated or
 * corrupt file fails here (InputError) before it reaches the encoder.
 */
export async function imageFacts(path: string, data: Buffer, spec?: PreprocessSpec): Promise<DecodedFacts> {
  // squash keeps the whole picture (a crop or letterbox would not give the thumbnail back)
  const shared = spec?.resize === 'squash' && !spec.flip && spec.width >= THUMBNAIL_SIZE && spec.height >= THUMBNAIL_SIZE;
  const decoded = shared ? await decodeForModel(data, spec) : await decodeInside(data, THUMBNAIL_SIZE);
  const size = thumbnailSize(decoded.width, decoded.height, THUMBNAIL_SIZE);
  const thumb = shared ? resizeArea(decoded.pixels, size.width, size.height) : decoded.pixels;
  const [meta, webp] = await Promise.all([imageMetaFromHeader(path, decoded.header, data.length), encodeWebp(thumb, THUMBNAIL_WEBP)]);
  return {
    facts: { meta, thumbnail: `data:image/webp;base64,${webp.toString('base64')}`, phash: hashRgb(thumb), phashVersion: PHASH_VERSION },
    input: shared ? decoded.pixels : data,
  };
}

/** A thumbnail as the library stores it (WebP bytes), from any encoded image. */
export function libraryThumbnail(data: Buffer): Promise<Buffer> {
  return makeThumbnail(data, THUMBNAIL_SIZE, { format: 'webp', ...THUMBNAIL_WEBP });
}
