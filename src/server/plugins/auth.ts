/**
 * API key for write endpoints (routes with config.write): required whenever one is configured, and
 * the server refuses to bind a non-loopback address without one (see app.ts). Read endpoints stay open.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** changes server state (indexing): needs the API key when one is set */
    write?: boolean;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const x = req.headers['x-api-key'];
  return typeof x === 'string' ? x.trim() : undefined;
}

export function registerAuth(app: FastifyInstance, apiKey: string | undefined): void {
  if (!apiKey) return;
  const want = digest(apiKey);
  app.addHook('onRequest', async (req, reply) => {
    if (!req.routeOptions.config?.write) return;
    const got = presentedKey(req);
    // compare digests: constant time, and the lengths always match
    if (got !== undefined && timingSafeEqual(digest(got), want)) return;
    reply.header('www-authenticate', 'Bearer realm="vlm"');
    return reply.code(401).send(errorBody(401, got === undefined
      ? 'this endpoint changes the library and needs the API key: send "Authorization: Bearer KEY" or "X-API-Key: KEY"'
      : 'wrong API key'));
  });
}
