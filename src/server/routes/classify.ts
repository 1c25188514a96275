import type { FastifyInstance } from 'fastify';
import type { Lang } from '../../encoders/encoder.js';
import { PROMPT_DOMAINS } from '../../eval/prompts.js';
import type { ServerContext } from '../context.js';
import { badRequest } from '../http-errors.js';
import { uploadOf, vectorOf, type ImageRef } from '../image-input.js';
import { errors, imageBody, imageId, lang } from '../schemas.js';
import { labelList } from '../upload.js';
import { round } from '../results.js';

interface Body extends ImageRef {
  labels: string | string[];
  lang?: Lang;
  domain?: string;
  top?: number;
}

const MAX_LABELS = 100;

/** POST /v1/classify: zero-shot labels (any the user types, English or Chinese) for an upload or a library image. */
export function classifyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: Body }>('/v1/classify', {
    schema: {
      tags: ['models'],
      summary: 'zero-shot classify an image against labels',
      body: imageBody({
        id: imageId,
        labels: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, minItems: 1, maxItems: MAX_LABELS, description: 'labels, e.g. ["dog","cat"] (multipart: repeated fields or "dog, cat")' },
        lang,
        domain: { type: 'string', enum: [...PROMPT_DOMAINS], default: 'generic', description: 'prompt templates' },
        top: { type: 'integer', minimum: 1, maximum: MAX_LABELS, description: 'labels returned (default: all)' },
      }, ['labels'], [['image'], ['id']]),
      response: {
        200: {
          type: 'object',
          properties: {
            model: { type: 'string' },
            lang: { type: 'string' },
            labels: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' }, score: { type: 'number' } } } },
          },
        },
        ...errors,
      },
    },
  }, async (req) => {
    const labels = [...new Set(labelList(req.body.labels))];
    if (labels.length < 2) throw badRequest('give at least two different labels, e.g. ["dog", "cat"]');
    if (labels.length > MAX_LABELS) throw badRequest(`at most ${MAX_LABELS} labels`);
    const upload = uploadOf(req.body, ctx);
    const out = await ctx.queue.run(async () => {
      const classifier = await ctx.classifiers.get(labels, { lang: req.body.lang, domain: req.body.domain });
      const { vector } = await vectorOf(req.body, upload, ctx);
      return { lang: classifier.lang, ranked: classifier.rank([vector])[0] };
    });
    const top = req.body.top ?? labels.length;
    return { model: ctx.encoder.id, lang: out.lang, labels: out.ranked.slice(0, top).map((l) => ({ label: l.label, score: round(l.score) })) };
  });
}
