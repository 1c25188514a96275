/** The browser app (web/dist, built by `npm run build:web`) at /, or a page saying how to build it. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

const HINT = `<!doctype html><meta charset="utf-8"><title>vlm</title>
<h1>vlm API is running</h1>
<p>The web app has not been built: run <code>npm run build:web</code> and restart. The API is documented at <a href="/docs">/docs</a>.</p>`;

export async function registerWeb(app: FastifyInstance, webDir: string | undefined): Promise<void> {
  if (webDir && existsSync(join(webDir, 'index.html'))) {
    // @fastify/static resolves inside root only and refuses dot files; no directory listings
    await app.register(fastifyStatic, { root: webDir, prefix: '/', decorateReply: false, index: ['index.html'], dotfiles: 'deny', schemaHide: true });
    return;
  }
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(HINT));
}
