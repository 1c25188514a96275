import type { FastifyInstance } from 'fastify';
import { DEFAULT_DIVERSITY, recommend } from '../../apps/library/recommend.js';
import type { ServerContext } from '../context.js';
import { apiHit, round, visibleHits } from '../results.js';
import { errorResponse, errors, hit, imageId } from '../schemas.js';

interface Body {
  like: string[];
  dislike?: string[];
  k?: number;
  diversity?: number;
}

/** POST /v1/recommend: "more like these" over library images (ids), varied by MMR; the examples are never returned. */
export function recommendRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const ids = (what: string, min: number) => ({ type: 'array', items: imageId, minItems: min, maxItems: 50, uniqueItems: true, description: `ids of ${what} library images` });
  app.post<{ Body: Body }>('/v1/recommend', {
    schema: {
      tags: ['search'],
      summary: 'recommend library images like some and unlike others',
      body: {
        type: 'object',
        properties: {
          like: ids('liked', 1),
          dislike: ids('disliked', 0),
          k: { type: 'integer', minimum: 1, maximum: 100, default: 12 },
          diversity: { type: 'number', minimum: 0, maximum: 1, description: `0 = by similarity only, 1 = as varied as possible (default ${DEFAULT_DIVERSITY})` },
        },
        required: ['like'],
        additionalProperties: false,
      },
      response: {
        200: { type: 'object', properties: { model: { type: 'string' }, results: { type: 'array', items: { ...hit, properties: { ...hit.properties, mmr: { type: 'number' } } } } } },
        403: errorResponse, 404: errorResponse, ...errors,
      },
    },
  }, async (req) => {
    const { like, dislike = [], k, diversity } = req.body;
    const results = await ctx.queue.run(async () => {
      // the library app takes files: each id's copy inside the library folders (checked), whose stored vector it reuses
      const files = async (list: string[]) => Promise.all(list.map(async (id) => ctx.library.file(await ctx.library.item(id))));
      const n = k ?? 12;
      // a few more than asked: images outside the library folders (reached through links) are dropped
      const out = await recommend(ctx.library.store, ctx.encoder, { like: await files(like), dislike: await files(dislike), k: n + 8, diversity });
      return (await visibleHits(out.hits, ctx.library.roots)).slice(0, n).map((h) => ({ ...apiHit(h, ctx.library.roots), mmr: round(h.mmr) }));
    });
    return { model: ctx.encoder.id, results };
  });
}
