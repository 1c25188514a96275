import type { Command } from 'commander';
import { openExistingLibrary } from '../../apps/library/library-db.js';
import { searchLibrary } from '../../apps/library/search.js';
import { parsePositiveInt } from '../options.js';
import { action, printJsonLine } from '../run.js';
import { addDbOptions, addFilterOptions, hitJson, libraryEncoder, libraryFilter, printHits, type DbOpts, type FilterOpts } from './library-options.js';

interface SimilarOpts extends DbOpts, FilterOpts {
  k: number;
  json?: boolean;
  thumbnails?: boolean;
}

/** `vlm similar <image>`: the library's images most like one image (never the image or its identical copies). */
export function registerSimilar(program: Command): void {
  addFilterOptions(
    addDbOptions(
      program
        .command('similar')
        .description('find the images most like one image (itself and its identical copies left out)')
        .argument('<image>', 'an image file, inside the library or not'),
    ),
  )
    .option('--k <n>', 'how many results', parsePositiveInt, 10)
    .option('--thumbnails', 'include each result\'s thumbnail (data: URL) in --json output')
    .option('--json', 'print {"query","results":[{"path","score",...}]} on stdout')
    .action(action(async (image: string, opts: SimilarOpts) => {
      const store = await openExistingLibrary(opts.db);
      try {
        const encoder = await libraryEncoder(store, opts.model);
        try {
          const r = await searchLibrary(store, encoder, { image }, opts.k, libraryFilter(opts));
          if (opts.json) printJsonLine({ query: image, image, inLibrary: r.image?.inLibrary, results: r.hits.map((h) => hitJson(h, opts.thumbnails)) });
          else printHits(r.hits);
        } finally {
          await encoder.dispose();
        }
      } finally {
        await store.close();
      }
    }));
}
