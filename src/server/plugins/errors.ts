/**
 * Every failure leaves as JSON { statusCode, error, message } with a message that says what to do,
 * and never takes the server down. Statuses: 400 malformed request, 401 missing key, 403 outside the
 * library, 404 unknown route or image, 409 library made by another model, 413 too large (bytes or
 * pixels), 415 wrong content type, 422 unreadable image, 501 feature not landed, 503 busy / too slow.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { InputError, UsageError, VlmError } from '../../util/errors.js';
import { HttpError } from '../http-errors.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

export function errorBody(statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** Limit wording from src/image/limits.ts: "... over the 50 MP limit", "... over the 16 MiB limit". */
const OVER_LIMIT = /\bover the [\d.]+ ?(MP|bytes|KiB|MiB|GiB) limit\b/;

export function statusOf(err: unknown): { status: number; message: string; headers?: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.statusCode, message: err.message, headers: err.headers };
  if (err instanceof InputError) return { status: OVER_LIMIT.test(err.message) ? 413 : 422, message: err.message };
  if (err instanceof UsageError) return { status: 400, message: err.message };
  if (err instanceof VlmError) return { status: /indexed with model/.test(err.message) ? 409 : 500, message: err.message };
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return { status: 400, message: fe.message ?? 'invalid request' };
  const code = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (code >= 400 && code < 500) return { status: code, message: friendly(fe) };
  return { status: 500, message: 'internal server error (details are in the server log)' };
}

function friendly(fe: Partial<FastifyError>): string {
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body too large: send a smaller image (see GET /v1/info for the limits)';
    case 'FST_REQ_FILE_TOO_LARGE':
      return 'uploaded file too large: send a smaller image (see GET /v1/info for the limits)';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `${fe.message}: send application/json or multipart/form-data (see /docs)`;
    default:
      return fe.message ?? 'bad request';
  }
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { status, message, headers } = statusOf(err);
    if (status >= 500 && status !== 501 && status !== 503) req.log.error({ err }, 'request failed');
    if (headers) reply.headers(headers);
    return reply.code(status).send(errorBody(status, message));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody(404, `no route ${req.method} ${req.url.split('?')[0]}: the API is listed at /docs`));
  });
}
