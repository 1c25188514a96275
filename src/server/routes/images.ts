import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pathsOf } from '../../apps/library/library-item.js';
import { makeThumbnail } from '../../image/thumbnail.js';
import type { ServerContext } from '../context.js';
import { badRequest } from '../http-errors.js';
import { Lru } from '../lru.js';
import { errorResponse, imageId } from '../schemas.js';

const MIME: Record<string, string> = {
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.jpe': 'image/jpeg', '.jfif': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp',
  '.gif': 'image/gif', '.tif': 'image/tiff', '.tiff': 'image/tiff', '.avif': 'image/avif', '.heic': 'image/heic', '.heif': 'image/heif',
};

/** Metadata a client may see: no absolute paths, no inline thumbnail, no per-copy file stats. */
const PUBLIC_FIELDS = ['width', 'height', 'format', 'size', 'date', 'dateSource', 'takenAt', 'camera', 'gps', 'encoder', 'safety'] as const;

/** GET /v1/images/:id (thumbnail, resized preview or the original file) and /v1/images/:id/info (metadata). */
export function imageRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // rendered previews by id and size: ids are content hashes, so an entry never goes stale
  const previews = new Lru<string, Buffer>(64 * 1024 * 1024, (b) => b.length);
  const params = { type: 'object', properties: { id: imageId }, required: ['id'] } as const;
  // ids are content hashes: the bytes behind a URL never change
  const IMMUTABLE = 'public, max-age=31536000, immutable';

  app.get<{ Params: { id: string }; Querystring: { size?: string } }>('/v1/images/:id', {
    schema: {
      tags: ['images'],
      summary: 'an image of the library: thumb (stored 128 px preview), a longest side in pixels (32..2048), or original',
      params,
      querystring: { type: 'object', properties: { size: { type: 'string', pattern: '^(thumb|original|[0-9]{2,4})$', default: 'thumb' } }, additionalProperties: false },
      response: { 200: { description: 'image bytes', type: 'string', format: 'binary' }, 400: errorResponse, 403: errorResponse, 404: errorResponse, 503: errorResponse },
    },
  }, async (req, reply) => {
    const item = await ctx.library.item(req.params.id);
    const size = req.query.size ?? 'thumb';
    // even the stored preview is shown only while a copy lies inside the library folders (else 403/404)
    const file = await ctx.library.file(item);
    reply.header('cache-control', IMMUTABLE).header('etag', `"${item.id}-${size}"`);
    if (size === 'thumb' && typeof item.metadata.thumbnail === 'string') {
      const m = /^data:(image\/[\w+.-]+);base64,(.*)$/s.exec(item.metadata.thumbnail);
      if (m) return reply.type(m[1]).send(Buffer.from(m[2], 'base64'));
    }
    if (size === 'original') {
      const st = await stat(file);
      return reply.type(MIME[extname(file).toLowerCase()] ?? 'application/octet-stream').header('content-length', st.size).send(createReadStream(file));
    }
    const side = size === 'thumb' ? 256 : Number(size);
    if (!(side >= 32 && side <= 2048)) throw badRequest('size: a number of pixels from 32 to 2048, "thumb" or "original"');
    const key = `${item.id}:${side}`;
    let jpeg = previews.get(key);
    if (!jpeg) {
      jpeg = await ctx.thumbs.run(() => makeThumbnail(file, side, { quality: 82, limits: { maxPixels: ctx.limits.maxPixels, maxBytes: Number.MAX_SAFE_INTEGER } }));
      previews.set(key, jpeg);
    }
    return reply.type('image/jpeg').send(jpeg);
  });

  app.get<{ Params: { id: string } }>('/v1/images/:id/info', {
    schema: {
      tags: ['images'],
      summary: 'what the library knows about an image: size, format, date, camera, position, copies',
      params,
      response: { 200: { type: 'object', additionalProperties: true }, 404: errorResponse },
    },
  }, async (req) => {
    const item = await ctx.library.item(req.params.id);
    const info: Record<string, unknown> = { id: item.id, paths: pathsOf(item.metadata).map((p) => ctx.library.roots.display(p)) };
    info.path = info.paths instanceof Array ? info.paths[0] : undefined;
    for (const k of PUBLIC_FIELDS) if (item.metadata[k] !== undefined) info[k] = item.metadata[k];
    info.urls = { thumbnail: `/v1/images/${item.id}?size=thumb`, preview: `/v1/images/${item.id}?size=1024`, original: `/v1/images/${item.id}?size=original` };
    return info;
  });
}
