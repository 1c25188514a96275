/**
 * The HTTP API as a Fastify instance (not yet listening): plugins for limits, auth, CORS and docs,
 * one file per route group under routes/, and the web app from web/dist. start.ts binds it.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import cors from '@fastify/cors';
import { UsageError } from '../util/errors.js';
import { ClassifierCache } from './classifier-cache.js';
import type { ServerContext } from './context.js';
import { FeatureSet } from './features.js';
import { Library } from './library.js';
import { isLoopback, resolveLimits, type ServerOptions } from './options.js';
import { registerAuth } from './plugins/auth.js';
import { registerDocs } from './plugins/docs.js';
import { registerErrorHandling } from './plugins/errors.js';
import { registerWeb } from './plugins/web.js';
import { WorkQueue } from './queue.js';
import { LibraryRoots } from './roots.js';
import { SafetyGate } from './safety.js';
import { classifyRoutes } from './routes/classify.js';
import { dupesRoutes } from './routes/dupes.js';
import { embeddingsRoutes } from './routes/embeddings.js';
import { featureRoutes } from './routes/features.js';
import { healthRoutes } from './routes/health.js';
import { imageRoutes } from './routes/images.js';
import { indexRoutes } from './routes/index-library.js';
import { recommendRoutes } from './routes/recommend.js';
import { searchRoutes } from './routes/search.js';

export interface VlmServer {
  app: FastifyInstance;
  library: Library;
  ctx: ServerContext;
}

export async function buildServer(opts: ServerOptions): Promise<VlmServer> {
  if (opts.host !== undefined && !isLoopback(opts.host) && !opts.apiKey) {
    throw new UsageError(`binding ${opts.host} exposes the server beyond this machine: pass --api-key KEY (or set VLM_API_KEY) to protect its write endpoints, or use --host 127.0.0.1`);
  }
  const limits = resolveLimits(opts.limits);
  const app = Fastify({
    logger: opts.logger ? { level: 'info' } : false,
    // JSON bodies carry base64 images: 4/3 of the upload limit plus room for the other fields
    bodyLimit: Math.ceil((limits.maxUploadBytes * 4) / 3) + 64 * 1024,
    // a client has this long to send its whole request (slow-upload protection); the work has limits.timeoutMs
    requestTimeout: 120_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  app.removeContentTypeParser('text/plain'); // only JSON and multipart: anything else is a 415
  registerErrorHandling(app);
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: limits.maxUploadBytes, files: limits.maxImages, fields: 200, fieldSize: 1024 * 1024, parts: 300 },
  });
  if (opts.corsOrigins?.length) await app.register(cors, { origin: opts.corsOrigins });
  await registerDocs(app);
  registerAuth(app, opts.apiKey);

  const roots = new LibraryRoots(opts.roots);
  const library = new Library(opts.store, roots, opts.encoder, { model: opts.model, dbPath: opts.dbPath, safety: new SafetyGate(opts.safety) });
  const ctx: ServerContext = {
    encoder: opts.encoder,
    library,
    limits,
    queue: new WorkQueue({ concurrency: limits.concurrency, maxQueued: limits.maxQueued, timeoutMs: limits.timeoutMs }),
    thumbs: new WorkQueue({ concurrency: limits.concurrency, maxQueued: 512, timeoutMs: limits.timeoutMs }),
    features: new FeatureSet(opts.features),
    classifiers: new ClassifierCache(opts.encoder),
  };

  for (const routes of [healthRoutes, embeddingsRoutes, classifyRoutes, searchRoutes, indexRoutes, imageRoutes, recommendRoutes, dupesRoutes, featureRoutes]) {
    routes(app, ctx);
  }
  await registerWeb(app, opts.webDir);
  app.addHook('onClose', async () => library.stop());
  return { app, library, ctx };
}
