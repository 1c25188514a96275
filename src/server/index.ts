/** The HTTP API: buildServer for an in-process Fastify instance (tests, embedding), startServer for `vlm serve`. */
export { buildServer, type VlmServer } from './app.js';
export { startServer, type StartOptions, type RunningServer } from './start.js';
export { DEFAULT_LIMITS, isLoopback, type ServerLimits, type ServerOptions } from './options.js';
export { FEATURE_LOADERS, type Features } from './features.js';
