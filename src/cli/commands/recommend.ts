import type { Command } from 'commander';
import { openExistingLibrary } from '../../apps/library/library-db.js';
import { DEFAULT_DISLIKE_WEIGHT, DEFAULT_DIVERSITY, recommend } from '../../apps/library/recommend.js';
import { parseList, parsePositiveInt } from '../options.js';
import { action, printJsonLine } from '../run.js';
import { addDbOptions, addFilterOptions, hitJson, libraryEncoder, libraryFilter, parseNonNegative, parseUnit, printHits, round, type DbOpts, type FilterOpts } from './library-options.js';

interface RecommendOpts extends DbOpts, FilterOpts {
  like: string[];
  dislike?: string[];
  k: number;
  diversity: number;
  dislikeWeight: number;
  json?: boolean;
  thumbnails?: boolean;
}

/** `vlm recommend --like a.jpg,b.jpg [--dislike c.jpg]`: more like these, varied, never the examples themselves. */
export function registerRecommend(program: Command): void {
  addFilterOptions(
    addDbOptions(
      program
        .command('recommend')
        .description('recommend images like the liked examples and unlike the disliked ones, with variety (MMR)')
        .requiredOption('--like <images>', 'comma-separated images you like (inside the library or not)', parseList),
    ),
  )
    .option('--dislike <images>', 'comma-separated images you do not like', parseList)
    .option('--k <n>', 'how many recommendations', parsePositiveInt, 10)
    .option('--diversity <d>', '0 = most similar first, 1 = as varied as possible', parseUnit, DEFAULT_DIVERSITY)
    .option('--dislike-weight <b>', 'how strongly dislikes push away (Rocchio beta)', parseNonNegative, DEFAULT_DISLIKE_WEIGHT)
    .option('--thumbnails', 'include each result\'s thumbnail (data: URL) in --json output')
    .option('--json', 'print {"query","results":[{"path","score",...}]} on stdout')
    .action(action(async (opts: RecommendOpts) => {
      const store = await openExistingLibrary(opts.db);
      try {
        const encoder = await libraryEncoder(store, opts.model);
        try {
          const r = await recommend(store, encoder, {
            like: opts.like, dislike: opts.dislike, k: opts.k, diversity: opts.diversity, dislikeWeight: opts.dislikeWeight, filter: libraryFilter(opts),
          });
          if (opts.json) {
            printJsonLine({
              query: { like: opts.like, dislike: opts.dislike ?? [] },
              diversity: opts.diversity,
              results: r.hits.map((h) => ({ ...hitJson(h, opts.thumbnails), mmr: round(h.mmr) })),
            });
          } else printHits(r.hits);
        } finally {
          await encoder.dispose();
        }
      } finally {
        await store.close();
      }
    }));
}
