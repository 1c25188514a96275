import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { indexLibrary, type IndexReport } from '../../apps/library/indexer.js';
import { defaultDbPath } from '../../apps/library/library-db.js';
import { isPostgresSpec, openStore } from '../../store/open-store.js';
import { VlmError } from '../../util/errors.js';
import { parsePositiveInt } from '../options.js';
import { action, printJsonLine } from '../run.js';
import { addDbOptions, libraryEncoder, type DbOpts } from './library-options.js';
import { loadSafetyClassifier, parseSafetyPolicy, type SafetyPolicy } from '../../apps/safety/index.js';

interface IndexOpts extends DbOpts {
  batch: number;
  json?: boolean;
  safety: SafetyPolicy | 'off';
}

/** `vlm index <dir>`: add a folder's photos to a library (incremental, resumable). */
export function registerIndex(program: Command): void {
  addDbOptions(
    program
      .command('index')
      .description('index a folder of photos for search, duplicates and recommendations (re-run to update; safe to interrupt)')
      .argument('<dir>', 'folder to index (recursively; hidden folders are skipped)'),
  )
    .option('--batch <n>', 'images per encoder call', parsePositiveInt, 32)
    .option('--json', 'print {"indexed","unchanged","removed","skipped":[{"path","reason"}],...} on stdout')
    .option('--safety <policy>', 'images the nsfwjs safety classifier calls explicit: flag (record it), hide (leave out of searches), refuse (do not index), or off', (v) => (v === 'off' ? v : parseSafetyPolicy(v)), 'flag')
    .action(action(async (dir: string, opts: IndexOpts) => {
      const root = resolve(dir);
      if (!existsSync(root)) throw new VlmError(`folder not found: ${root}`);
      if (!statSync(root).isDirectory()) throw new VlmError(`${root} is a file: give the folder to index`);
      const db = opts.db ?? defaultDbPath(root);
      const store = await openStore(db, { defaultPath: db });
      try {
        const encoder = await libraryEncoder(store, opts.model);
        try {
          if (store.dim !== undefined && store.dim !== encoder.dim) {
            throw new VlmError(`the library holds ${store.dim}-d vectors but model ${encoder.id} makes ${encoder.dim}-d ones: pass the library's --model, or index into a new --db`);
          }
          const classifier = opts.safety === 'off' ? undefined : await loadSafetyClassifier();
          const report = await withInterrupt((signal) =>
            indexLibrary({
              root,
              store,
              encoder,
              model: opts.model ? resolve(opts.model) : undefined,
              batchSize: opts.batch,
              exclude: isPostgresSpec(db) ? [] : [resolve(db)],
              signal,
              safety: classifier && opts.safety !== 'off' ? { classifier, policy: opts.safety } : undefined,
            }),
          ).finally(() => classifier?.dispose());
          printReport(report, !!opts.json);
        } finally {
          await encoder.dispose();
        }
      } finally {
        await store.close();
      }
    }));
}

/** First Ctrl-C: finish the batch in hand and write it (the next run goes on from there); second: quit now. */
async function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onSigint = () => {
    if (ac.signal.aborted) process.exit(130);
    console.error('\nvlm: stopping after the current batch (Ctrl-C again to quit at once; the next run continues)');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await run(ac.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function printReport(r: IndexReport, json: boolean): void {
  if (r.skipped.length) {
    console.error(`vlm: skipped ${r.skipped.length} file(s) that could not be read as images${json ? ' (listed in "skipped")' : ':'}`);
    if (!json) for (const s of r.skipped) console.error(`  ${s.path}: ${s.reason}`);
  }
  if (json) {
    printJsonLine(r);
    return;
  }
  const rate = r.embedded && r.seconds ? ` (${(r.embedded / r.seconds).toFixed(1)} images/s)` : '';
  console.log(
    `${r.interrupted ? 'interrupted: ' : ''}${r.indexed} indexed, ${r.unchanged} unchanged, ${r.removed} removed, ${r.skipped.length} skipped` +
      ` in ${r.seconds.toFixed(1)} s${rate}; the library holds ${r.images} images in ${r.files} files under ${r.root}` +
      (r.ignored ? ` (${r.ignored} non-image files ignored)` : ''),
  );
}
