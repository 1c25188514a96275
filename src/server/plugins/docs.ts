/** OpenAPI 3 generated from the route schemas: the document at /docs/json, the interactive UI at /docs. */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'vlm HTTP API',
        version: '0.1.0',
        description: 'Search, classify and embed images and texts (English or Chinese) in one shared embedding space. ' +
          'Image fields take a multipart file or a base64 string in JSON. Errors are JSON { statusCode, error, message }.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'needed on write endpoints when the server has an API key' } },
      },
      tags: [
        { name: 'search', description: 'library search, recommendations, duplicates' },
        { name: 'models', description: 'embeddings and classification' },
        { name: 'images', description: 'library images and indexing' },
        { name: 'apps', description: 'caption, ask, explain (501 until the feature lands)' },
        { name: 'health', description: 'liveness and readiness' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}
