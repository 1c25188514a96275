import type { Command } from 'commander';
import { findDuplicates, type DupeGroup } from '../../apps/library/dupes.js';
import { openExistingLibrary } from '../../apps/library/library-db.js';
import { DEFAULT_HASH_DISTANCE, DEFAULT_NEAR_DUP_THRESHOLD } from '../../apps/library/near-dup-threshold.js';
import { action, printJsonLine } from '../run.js';
import { libraryFilter, parseInteger, parseUnit } from './library-options.js';

interface DupesOpts {
  db?: string;
  threshold?: number;
  hashDistance?: number;
  pathPrefix?: string;
  json?: boolean;
}

/** `vlm dupes`: exact and near-duplicate groups with the copy to keep. Needs no model: it compares stored vectors. */
export function registerDupes(program: Command): void {
  program
    .command('dupes')
    .description('find exact duplicates and near duplicates (resized, recompressed, lightly cropped), with the copy to keep')
    .option('--db <path|url>', 'the library: a LanceDB folder or postgres://user@host/db (default: the nearest .vlm/ folder)')
    .option('--threshold <t>', `cosine similarity from which images are near duplicates (default ${DEFAULT_NEAR_DUP_THRESHOLD}; higher = stricter)`, parseUnit)
    .option('--hash-distance <bits>', `perceptual-hash bits (of 64) within which images are near duplicates (default ${DEFAULT_HASH_DISTANCE}; -1 = embeddings only)`, parseInteger)
    .option('--path-prefix <prefix>', 'only files under this folder / path prefix')
    .option('--json', 'print {"threshold","groups":[{"kind","keeper","reason","files":[...]}],...} on stdout')
    .action(action(async (opts: DupesOpts) => {
      const store = await openExistingLibrary(opts.db);
      try {
        const r = await findDuplicates(store, { threshold: opts.threshold, hashDistance: opts.hashDistance, pathPrefix: libraryFilter(opts).pathPrefix, quiet: !!opts.json });
        if (opts.json) printJsonLine(r);
        else {
          for (const g of r.groups) printGroup(g);
          const files = r.groups.reduce((n, g) => n + g.files.length - 1, 0);
          console.log(`${r.exact} exact and ${r.near} near-duplicate groups among ${r.images} images (cosine >= ${r.threshold} or hash distance <= ${r.hashDistance}); ${files} file(s) could go`);
        }
      } finally {
        await store.close();
      }
    }));
}

function printGroup(g: DupeGroup): void {
  console.log(`${g.kind === 'exact' ? 'identical files' : 'near duplicates'} (${g.files.length}): keep ${g.keeper} - ${g.reason}`);
  for (const f of g.files) {
    const size = f.size >= 1e6 ? `${(f.size / 1e6).toFixed(1)} MB` : `${(f.size / 1e3).toFixed(1)} kB`;
    const how = f.id === g.files[0].id ? '' : `  similarity ${f.similarity.toFixed(3)}${f.hashDistance !== undefined ? `, hash distance ${f.hashDistance}` : ''}`;
    console.log(`  ${f.path === g.keeper ? 'keep' : '    '}  ${f.path}  ${f.width}x${f.height}  ${size}${how}`);
  }
}
