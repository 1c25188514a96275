import type { FastifyInstance } from 'fastify';
import type { Lang } from '../../encoders/encoder.js';
import type { ServerContext } from '../context.js';
import { base64Image, errors, fileField, lang } from '../schemas.js';
import { embedUpload, imageBytes, many } from '../upload.js';

interface Body {
  texts?: string | string[];
  images?: unknown;
  lang?: Lang;
}

/** POST /v1/embeddings: vectors for texts and/or images in the shared space (L2-normalised, so dot = cosine). */
export function embeddingsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { maxTexts, maxImages } = ctx.limits;
  const texts = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 1000 }, maxItems: maxTexts, description: `up to ${maxTexts} texts` };
  const anyOf = [{ required: ['texts'] }, { required: ['images'] }];
  app.post<{ Body: Body }>('/v1/embeddings', {
    schema: {
      tags: ['models'],
      summary: 'embed texts and images',
      body: {
        content: {
          'application/json': { schema: { type: 'object', properties: { texts, images: { type: 'array', items: base64Image, maxItems: maxImages }, lang }, additionalProperties: false, anyOf } },
          'multipart/form-data': { schema: { type: 'object', properties: { texts, images: fileField, lang }, additionalProperties: false, anyOf } },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            model: { type: 'string' },
            dim: { type: 'integer' },
            data: { type: 'array', items: { type: 'object', properties: { type: { type: 'string', enum: ['text', 'image'] }, index: { type: 'integer' }, embedding: { type: 'array', items: { type: 'number' } } } } },
          },
        },
        ...errors,
      },
    },
  }, async (req) => {
    const ts = many(req.body.texts);
    const bytes = many(req.body.images).map((v, i) => imageBytes(v, `images[${i}]`, ctx.limits));
    if (bytes.length > maxImages) throw Object.assign(new Error(`at most ${maxImages} images per request`), { statusCode: 400 });
    const { textVecs, imageVecs } = await ctx.queue.run(async () => ({
      imageVecs: await embedUpload(ctx.encoder, bytes, ctx.limits),
      textVecs: ts.length ? await ctx.encoder.embedTexts(ts, req.body.lang ? { lang: req.body.lang } : undefined) : [],
    }));
    return {
      model: ctx.encoder.id,
      dim: ctx.encoder.dim,
      data: [
        ...textVecs.map((v, index) => ({ type: 'text', index, embedding: Array.from(v) })),
        ...imageVecs.map((v, index) => ({ type: 'image', index, embedding: Array.from(v) })),
      ],
    };
  });
}
