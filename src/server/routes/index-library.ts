import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { forbidden } from '../http-errors.js';
import type { IndexJob } from '../library.js';
import { errorResponse, errors } from '../schemas.js';

interface Body {
  folder?: string;
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Streams a job's progress as server-sent events: progress..., then done or error. Ends when the job ends. */
function follow(job: IndexJob): PassThrough {
  const out = new PassThrough();
  const onProgress = (p: unknown) => out.write(sse('progress', p));
  const onDone = (r: unknown) => { out.end(sse('done', { folders: r, images: job.progress.images })); cleanup(); };
  const onFailed = (e: Error) => { out.end(sse('error', { message: e.message })); cleanup(); };
  const cleanup = () => {
    job.off('progress', onProgress);
    job.off('done', onDone);
    job.off('failed', onFailed);
  };
  out.on('close', cleanup); // client went away: the job goes on
  out.write(sse('start', job.progress));
  if (job.result) onDone(job.result);
  else if (job.error) onFailed(job.error);
  else {
    job.on('progress', onProgress);
    job.on('done', onDone);
    job.on('failed', onFailed);
  }
  return out;
}

/**
 * POST /v1/index: (re)index the library folders, or one folder inside them, incrementally; progress as
 * server-sent events (or one JSON answer at the end with Accept: application/json). GET /v1/index: status.
 */
export function indexRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: Body | undefined }>('/v1/index', {
    config: { write: true },
    schema: {
      tags: ['images'],
      summary: 'index the library folders (server-sent events)',
      description: 'One job at a time: a request while one runs follows that job. Unchanged files are not read again.',
      security: [{ apiKey: [] }],
      body: {
        type: 'object',
        properties: { folder: { type: 'string', minLength: 1, maxLength: 4096, description: 'a folder inside the library (absolute, or relative to the first library folder); default: all' } },
        additionalProperties: false,
      },
      response: {
        200: {
          description: 'events start, progress..., then done or error (JSON when asked with Accept: application/json)',
          content: { 'text/event-stream': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object', additionalProperties: true } } },
        }, 401: errorResponse, 403: errorResponse, ...errors },
    },
  }, async (req, reply) => {
    let folders = ctx.library.roots.paths;
    const asked = req.body?.folder;
    if (asked !== undefined) {
      const f = await ctx.library.roots.folder(asked);
      if (f === undefined) throw forbidden(`folder "${asked}" is not inside the library folders (or does not exist)`);
      folders = [f];
    }
    const job = ctx.library.index(folders);
    const accept = req.headers.accept ?? '';
    if (accept.includes('application/json') && !accept.includes('text/event-stream')) {
      await job.finished;
      if (job.error) throw job.error;
      return reply.send({ folders: job.result, images: job.progress.images });
    }
    return reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no')
      .send(follow(job));
  });

  app.get('/v1/index', {
    schema: { tags: ['images'], summary: 'indexing status', response: { 200: { type: 'object', additionalProperties: true } } },
  }, async () => {
    const job = ctx.library.job;
    return {
      running: job?.running ?? false,
      progress: job?.progress ?? null,
      last: job && !job.running ? { folders: job.result ?? null, error: job.error?.message ?? null } : null,
      images: await ctx.library.store.count(),
    };
  });
}
