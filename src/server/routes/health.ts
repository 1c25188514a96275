import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

/** /healthz: the process answers. /readyz: the model is loaded and the first index is done. /v1/info: what this server offers. */
export function healthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const started = Date.now();
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'liveness', response: { 200: { type: 'object', properties: { status: { type: 'string' }, uptime: { type: 'number' } } } } },
  }, async () => ({ status: 'ok', uptime: (Date.now() - started) / 1000 }));

  app.get('/readyz', {
    schema: {
      tags: ['health'], summary: 'readiness: 503 while the library is first being indexed',
      response: { '2xx': { type: 'object', additionalProperties: true }, 503: { type: 'object', additionalProperties: true } },
    },
  }, async (_req, reply) => {
    const images = await ctx.library.store.count();
    if (!ctx.library.ready) {
      reply.header('retry-after', '2');
      return reply.code(503).send({ status: 'indexing', images, progress: ctx.library.job?.progress });
    }
    return { status: 'ready', model: ctx.encoder.id, images };
  });

  app.get('/v1/info', {
    schema: { tags: ['health'], summary: 'model, library size, optional features and limits', response: { 200: { type: 'object', additionalProperties: true } } },
  }, async () => ({
    model: ctx.encoder.id,
    dim: ctx.encoder.dim,
    images: await ctx.library.store.count(),
    folders: ctx.library.roots.paths.map((p) => p.split(/[\\/]/).pop()),
    features: ctx.features.list(),
    indexing: ctx.library.job?.running ? ctx.library.job.progress : null,
    ready: ctx.library.ready,
    limits: ctx.limits,
    queue: ctx.queue.snapshot(),
  }));
}
