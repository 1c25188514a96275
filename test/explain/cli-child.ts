/**
 * `node dist/test/explain/cli-child.js explain ...`: the explain command on a program set up like src/cli/main.ts
 * (exit codes, error output). Without arguments (as when the test runner loads it) it does nothing.
 */
import { Command } from 'commander';
import { registerExplain } from '../../src/cli/commands/explain.js';
import { fail } from '../../src/cli/run.js';

if (process.argv.length > 2) {
  const program = new Command('vlm')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`vlm: ${str.replace(/^error: /, '')}`) });
  registerExplain(program);
  program.parseAsync(process.argv).catch(fail);
}
