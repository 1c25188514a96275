import type { FastifyInstance } from 'fastify';
import { findDuplicates } from '../../apps/library/dupes.js';
import { DEFAULT_NEAR_DUP_THRESHOLD } from '../../apps/library/near-dup-threshold.js';
import type { ServerContext } from '../context.js';
import { errors } from '../schemas.js';

/** GET /v1/dupes: groups of identical and near-identical images, each with the copy to keep. */
export function dupesRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Querystring: { threshold?: number } }>('/v1/dupes', {
    schema: {
      tags: ['search'],
      summary: 'duplicate and near-duplicate images in the library',
      querystring: {
        type: 'object',
        properties: { threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: `cosine similarity from which images are near copies (default ${DEFAULT_NEAR_DUP_THRESHOLD})` } },
        additionalProperties: false,
      },
      response: { 200: { type: 'object', additionalProperties: true }, ...errors },
    },
  }, async (req) => {
    const report = await ctx.queue.run(() => findDuplicates(ctx.library.store, { threshold: req.query.threshold, quiet: true }));
    const show = (p: string) => ctx.library.roots.display(p);
    // files outside the library folders (reached through links) are neither shown nor counted
    const allowed = new Set<string>();
    for (const g of report.groups) for (const f of g.files) if (await ctx.library.roots.allowed(f.path)) allowed.add(f.path);
    const groups = report.groups
      .map((g) => ({ ...g, files: g.files.filter((f) => allowed.has(f.path)) }))
      .filter((g) => g.files.length > 1)
      .map((g) => ({ ...g, keeper: g.files.some((f) => f.path === g.keeper) ? g.keeper : g.files[0].path }));
    return {
      threshold: report.threshold,
      images: report.images,
      exact: groups.filter((g) => g.kind === 'exact').length,
      near: groups.filter((g) => g.kind === 'near').length,
      groups: groups.map((g) => ({
        kind: g.kind,
        keeper: show(g.keeper),
        reason: g.reason,
        files: g.files.map((f) => ({ id: f.id, path: show(f.path), similarity: f.similarity, width: f.width, height: f.height, size: f.size, thumbnail: `/v1/images/${f.id}?size=thumb` })),
      })),
    };
  });
}
