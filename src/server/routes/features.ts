import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Lang } from '../../encoders/encoder.js';
import type { ServerContext } from '../context.js';
import { FEATURE_INFO, type FeatureName } from '../features.js';
import { pixelsOf, uploadOf, type ImageRef } from '../image-input.js';
import { errorBody } from '../plugins/errors.js';
import { errorResponse, errors, imageBody, imageId, lang } from '../schemas.js';
import { validateText } from '../../text/validate.js';

interface CaptionBody extends ImageRef { lang?: Lang }
interface AskBody extends ImageRef { question: string }
interface ExplainBody extends ImageRef { text: string; format?: 'json' | 'png'; method?: 'dense' | 'occlusion' }

function notLanded(reply: FastifyReply, name: FeatureName): FastifyReply {
  const { what, issue } = FEATURE_INFO[name];
  return reply.code(501).send(errorBody(501, `${what} is not available on this server (turned off by its operator; see ${issue})`));
}

/**
 * POST /v1/caption, /v1/ask, /v1/explain: the apps registered in features.ts, 501 when one is turned off.
 * The request is validated either way.
 */
export function featureRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const res = (props: Record<string, unknown>) => ({ 200: { type: 'object', properties: props, additionalProperties: true }, 404: errorResponse, 501: errorResponse, ...errors });
  const either = [['image'], ['id']];

  app.post<{ Body: CaptionBody }>('/v1/caption', {
    schema: { tags: ['apps'], summary: 'describe an image in English or Chinese', body: imageBody({ id: imageId, lang }, [], either), response: res({ caption: { type: 'string' }, lang: { type: 'string' } }) },
  }, async (req, reply) => {
    if (!ctx.features.available('caption')) return notLanded(reply, 'caption');
    const upload = uploadOf(req.body, ctx);
    return ctx.queue.run(async () => (await ctx.features.get('caption'))!(ctx.encoder, await pixelsOf(req.body, upload, ctx), { lang: req.body.lang }));
  });

  app.post<{ Body: AskBody }>('/v1/ask', {
    schema: {
      tags: ['apps'], summary: 'answer a question about an image',
      body: imageBody({ id: imageId, question: { type: 'string', minLength: 1, maxLength: 500 } }, ['question'], either),
      response: res({ answer: { type: 'string' }, skill: { type: 'string' }, confidence: { type: 'number' } }),
    },
  }, async (req, reply) => {
    if (!ctx.features.available('ask')) return notLanded(reply, 'ask');
    const upload = uploadOf(req.body, ctx);
    return ctx.queue.run(async () => (await ctx.features.get('ask'))!(ctx.encoder, await pixelsOf(req.body, upload, ctx), req.body.question));
  });

  app.post<{ Body: ExplainBody }>('/v1/explain', {
    schema: {
      tags: ['apps'], summary: 'heatmap of the regions that make an image match a text (PNG overlay or JSON grid)',
      body: imageBody({ id: imageId, text: { type: 'string', minLength: 1, maxLength: 500 }, format: { type: 'string', enum: ['json', 'png'], default: 'json' }, method: { type: 'string', enum: ['dense', 'occlusion'], description: 'default: dense for vlm models, occlusion for others' } }, ['text'], either),
      response: res({ width: { type: 'integer' }, height: { type: 'integer' }, grid: { type: 'array', items: { type: 'array', items: { type: 'number' } } } }),
    },
  }, async (req, reply) => {
    if (!ctx.features.available('explain')) return notLanded(reply, 'explain');
    const text = validateText(req.body.text);
    const upload = uploadOf(req.body, ctx);
    const out = await ctx.queue.run(async () => (await ctx.features.get('explain'))!(ctx.encoder, await pixelsOf(req.body, upload, ctx), text, { method: req.body.method }));
    if (req.body.format === 'png') {
      if (!out.png) return reply.code(501).send(errorBody(501, 'this explain method gives no PNG overlay: ask for format "json"'));
      return reply.type('image/png').send(out.png);
    }
    const { png: _png, ...json } = out;
    return json;
  });
}
