/** JSON-schema fragments shared by the routes (they also make up the OpenAPI document at /docs). */

/** A library image id: the SHA-256 of its file, hex. */
export const imageId = { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'library image id (SHA-256 of the file)' } as const;

export const base64Image = {
  type: 'string',
  minLength: 1,
  description: 'image file (JPEG, PNG, WebP, GIF, TIFF, AVIF) as base64 or a data: URL',
} as const;

/** In multipart bodies a file arrives as bytes; validation leaves it to the handler. */
export const fileField = { description: 'image file' } as const;

export const lang = { type: 'string', enum: ['en', 'zh'], description: 'text language (default: detected)' } as const;

export const errorResponse = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
  required: ['statusCode', 'error', 'message'],
} as const;

/** 4xx/5xx answers every route may give. */
export const errors = {
  400: errorResponse, 413: errorResponse, 415: errorResponse, 422: errorResponse, 503: errorResponse,
} as const;

/** One search / recommend result. */
export const hit = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    path: { type: 'string', description: 'relative to its library folder' },
    score: { type: 'number', description: 'cosine similarity to the query' },
    width: { type: 'integer' },
    height: { type: 'integer' },
    date: { type: 'string' },
    thumbnail: { type: 'string', description: 'URL of a small preview' },
    safety: {
      type: 'object',
      description: 'the safety check\'s verdict when the image was indexed with it (flagged: the classifier called it unsafe)',
      properties: { flagged: { type: 'boolean' }, unsafe: { type: 'number' }, top: { type: 'string' } },
    },
  },
  required: ['id', 'path', 'score'],
} as const;

/** Body schemas per content type: the same fields as JSON (image as base64) or multipart (image as a file). */
export function imageBody(props: Record<string, unknown>, required: string[] = [], oneOf?: string[][]): Record<string, unknown> {
  const json: Record<string, unknown> = { type: 'object', properties: { image: base64Image, ...props }, required, additionalProperties: false };
  // multipart fields are text: ajv coerces numbers, and a single value into a one-item array
  const multipartProps: Record<string, unknown> = { ...props, image: fileField };
  const multipart: Record<string, unknown> = { type: 'object', properties: multipartProps, required, additionalProperties: false };
  if (oneOf) {
    const any = oneOf.map((fields) => ({ required: fields }));
    json.anyOf = any;
    multipart.anyOf = any;
  }
  return { content: { 'application/json': { schema: json }, 'multipart/form-data': { schema: multipart } } };
}
