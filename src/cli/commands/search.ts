import type { Command } from 'commander';
import { searchLibrary } from '../../apps/library/search.js';
import { openExistingLibrary } from '../../apps/library/library-db.js';
import type { Lang } from '../../encoders/encoder.js';
import { UsageError } from '../../util/errors.js';
import { parseLang, parsePositiveInt } from '../options.js';
import { action, printJsonLine } from '../run.js';
import { addDbOptions, addFilterOptions, hitJson, libraryEncoder, libraryFilter, parseUnit, printHits, type DbOpts, type FilterOpts } from './library-options.js';

interface SearchOpts extends DbOpts, FilterOpts {
  image?: string;
  textWeight: number;
  k: number;
  lang?: Lang;
  json?: boolean;
  thumbnails?: boolean;
}

/** `vlm search "<text>" | --image PATH | both`: the library's best matches. */
export function registerSearch(program: Command): void {
  addFilterOptions(
    addDbOptions(
      program
        .command('search')
        .description('search the library by text (English or Chinese), by an example image, or both')
        .argument('[text]', 'what to look for, e.g. "a dog on the beach" or "海滩上的狗"'),
    ),
  )
    .option('--image <path>', 'an example image (inside the library or not); with a text too, the image "plus" the words')
    .option('--text-weight <w>', 'weight of the text when both are given, 0..1', parseUnit, 0.5)
    .option('--k <n>', 'how many results', parsePositiveInt, 10)
    .option('--lang <lang>', 'language of the text: en or zh (default: detected)', parseLang)
    .option('--thumbnails', 'include each result\'s thumbnail (data: URL) in --json output')
    .option('--json', 'print {"query","results":[{"path","score",...}]} on stdout')
    .action(action(async (text: string | undefined, opts: SearchOpts) => {
      if (!text?.trim() && !opts.image) throw new UsageError('give a text to search for, --image PATH, or both');
      const store = await openExistingLibrary(opts.db);
      try {
        const encoder = await libraryEncoder(store, opts.model);
        try {
          const q = { text, image: opts.image, textWeight: opts.textWeight, lang: opts.lang };
          const r = await searchLibrary(store, encoder, q, opts.k, libraryFilter(opts));
          if (opts.json) {
            printJsonLine({
              query: text ?? opts.image,
              ...(text ? { text } : {}),
              ...(opts.image ? { image: opts.image, inLibrary: r.image?.inLibrary } : {}),
              ...(text && opts.image ? { textWeight: opts.textWeight } : {}),
              results: r.hits.map((h) => hitJson(h, opts.thumbnails)),
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
