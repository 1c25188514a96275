import type { FastifyInstance } from 'fastify';
import type { Lang } from '../../encoders/encoder.js';
import { combine } from '../../apps/library/query-image.js';
import { DEFAULT_TEXT_WEIGHT, searchVector, type LibraryFilter } from '../../apps/library/search.js';
import { assertSameModel } from '../../apps/library/model-check.js';
import type { ServerContext } from '../context.js';
import { badRequest } from '../http-errors.js';
import { uploadOf, vectorOf, type ImageRef } from '../image-input.js';
import { apiHit, visibleHits } from '../results.js';
import { errors, hit, imageBody, imageId, lang } from '../schemas.js';

interface Query {
  q: string;
  k?: number;
  lang?: Lang;
  from?: string;
  to?: string;
  minScore?: number;
}

interface Body extends ImageRef {
  q?: string;
  textWeight?: number;
  k?: number;
  lang?: Lang;
  minScore?: number;
}

const OVERFETCH = 8;
const k = { type: 'integer', minimum: 1, maximum: 200, default: 24, description: 'results wanted' } as const;
const minScore = { type: 'number', minimum: -1, maximum: 1, description: 'leave out results below this similarity' } as const;
const response = {
  200: {
    type: 'object',
    properties: { query: { type: 'object', additionalProperties: true }, model: { type: 'string' }, results: { type: 'array', items: hit } },
  },
  ...errors,
};

function dateMs(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`${name}: expected a date such as 2024-05-31, got "${v}"`);
  return t;
}

/** GET /v1/search?q= (text, English or Chinese) and POST /v1/search (image, image + text, or a library image id). */
export function searchRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const run = async (vector: Float32Array, n: number, filter: LibraryFilter) => {
    // over-fetch a little: images outside the library folders (reached through links) are dropped
    const hits = await searchVector(ctx.library.store, vector, n + OVERFETCH, filter);
    for (const h of hits) assertSameModel(h.metadata, ctx.encoder.id);
    return (await visibleHits(hits, ctx.library.roots)).slice(0, n).map((h) => apiHit(h, ctx.library.roots));
  };

  app.get<{ Querystring: Query }>('/v1/search', {
    schema: {
      tags: ['search'],
      summary: 'search the library by text',
      querystring: {
        type: 'object',
        properties: {
          q: { type: 'string', minLength: 1, maxLength: 500, description: 'what to look for, e.g. "a dog on a beach" or "海滩上的狗"' },
          k, lang, minScore,
          from: { type: 'string', description: 'taken on or after (ISO date)' },
          to: { type: 'string', description: 'taken on or before (ISO date)' },
        },
        required: ['q'],
        additionalProperties: false,
      },
      response,
    },
  }, async (req) => {
    const q = req.query.q.trim();
    if (!q) throw badRequest('q is blank: say what to look for');
    const filter = { from: dateMs(req.query.from, 'from'), to: dateMs(req.query.to, 'to'), minScore: req.query.minScore };
    const results = await ctx.queue.run(async () => {
      const [vector] = await ctx.encoder.embedTexts([q], req.query.lang ? { lang: req.query.lang } : undefined);
      return run(vector, req.query.k ?? 24, filter);
    });
    return { query: { q, lang: req.query.lang }, model: ctx.encoder.id, results };
  });

  app.post<{ Body: Body }>('/v1/search', {
    schema: {
      tags: ['search'],
      summary: 'search by an image (upload or library id), optionally plus text',
      body: imageBody({
        id: imageId,
        q: { type: 'string', minLength: 1, maxLength: 500, description: 'text added to the image query' },
        textWeight: { type: 'number', minimum: 0, maximum: 1, description: `weight of q against the image (default ${DEFAULT_TEXT_WEIGHT})` },
        k, lang, minScore,
      }, [], [['image'], ['id'], ['q']]),
      response,
    },
  }, async (req) => {
    const b = req.body;
    const upload = uploadOf(b, ctx);
    const text = b.q?.trim();
    const results = await ctx.queue.run(async () => {
      const img = upload || b.id ? await vectorOf(b, upload, ctx) : undefined;
      const textVec = text ? (await ctx.encoder.embedTexts([text], b.lang ? { lang: b.lang } : undefined))[0] : undefined;
      if (!img && !textVec) throw badRequest('give an image, an id or a text q');
      const w = b.textWeight ?? DEFAULT_TEXT_WEIGHT;
      const vector = img && textVec ? combine([{ vector: textVec, weight: w }, { vector: img.vector, weight: 1 - w }]) : (textVec ?? img!.vector);
      // the example image itself (and its identical copies) is not a result
      return run(vector, b.k ?? 24, { minScore: b.minScore, excludeIds: img?.id ? [img.id] : undefined });
    });
    return { query: { q: text, id: b.id, image: upload ? `${upload.length} bytes` : undefined }, model: ctx.encoder.id, results };
  });
}
