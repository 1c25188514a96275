/** The image a request is about: an upload (image field) or a library image (id field). */
import type { RgbImage } from '../image/types.js';
import { contentHash } from '../apps/library/hash.js';
import { decodeImage } from '../image/decode.js';
import type { ServerContext } from './context.js';
import { badRequest } from './http-errors.js';
import { decodeUpload, embedUpload, imageBytes } from './upload.js';

export interface ImageRef {
  image?: unknown;
  id?: string;
}

/** Bytes of an upload, read and size-checked before the request takes a queue slot. */
export function uploadOf(body: ImageRef, ctx: ServerContext): Buffer | undefined {
  if (body.image !== undefined && body.id !== undefined) throw badRequest('give either image or id, not both');
  return body.image === undefined ? undefined : imageBytes(body.image, 'image', ctx.limits);
}

/** The image's vector: the stored one for a library id (nothing embedded), else the upload's. */
export async function vectorOf(body: ImageRef, upload: Buffer | undefined, ctx: ServerContext): Promise<{ vector: Float32Array; id?: string }> {
  if (upload) {
    const [vector] = await embedUpload(ctx.encoder, [upload], ctx.limits);
    return { vector, id: await contentHash(upload) };
  }
  if (body.id === undefined) throw badRequest('give an image (file or base64) or the id of a library image');
  const item = await ctx.library.item(body.id);
  return { vector: item.vector, id: item.id };
}

/** Decoded pixels: of the upload, or of the library image's file (inside the library folders only). */
export async function pixelsOf(body: ImageRef, upload: Buffer | undefined, ctx: ServerContext): Promise<RgbImage> {
  if (upload) return decodeUpload(upload, ctx.limits);
  if (body.id === undefined) throw badRequest('give an image (file or base64) or the id of a library image');
  const file = await ctx.library.file(await ctx.library.item(body.id));
  return decodeImage(file, { maxPixels: ctx.limits.maxPixels });
}
