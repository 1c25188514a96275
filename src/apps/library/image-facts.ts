import { readImageMeta } from '../../image/meta.js';
import { makeThumbnail } from '../../image/thumbnail.js';
import type { ImageFacts } from './library-item.js';
import { perceptualHash } from './perceptual-hash.js';

/** Thumbnail longest side and quality: enough for a grid of results in a UI, ~3 KB as WebP. */
export const THUMBNAIL_SIZE = 128;
const THUMBNAIL_QUALITY = 60;

/**
 * Header, EXIF, thumbnail and perceptual hash of one image file whose bytes were already read. The thumbnail decodes
 * every pixel under the image limits, so an oversized, truncated or corrupt file fails here
 * (InputError) before it reaches the encoder.
 */
export async function imageFacts(path: string, data: Buffer): Promise<ImageFacts> {
  const thumb = await libraryThumbnail(data);
  const [meta, phash] = await Promise.all([
    readImageMeta(path), // header only (sharp + exifr read a few KB)
    perceptualHash(thumb), // from the 128 px thumbnail: cheap, and the same for every size of a photo
  ]);
  return { meta, thumbnail: `data:image/webp;base64,${thumb.toString('base64')}`, phash };
}

/** The thumbnail the library stores (WebP bytes). */
export function libraryThumbnail(data: Buffer): Promise<Buffer> {
  return makeThumbnail(data, THUMBNAIL_SIZE, { format: 'webp', quality: THUMBNAIL_QUALITY });
}
