/**
 * `node dist/test/library/cli-child.js <command> ...`: the library commands on a program set up like
 * src/cli/main.ts (exit codes, error output), so the CLI test runs exactly the users' code paths.
 * Without arguments (as when the test runner loads every file under test/) it does nothing.
 */
import { Command } from 'commander';
import { registerLibraryCommands } from '../../src/cli/commands/library.js';
import { fail } from '../../src/cli/run.js';

if (process.argv.length > 2) {
  const program = new Command('vlm')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`vlm: ${str.replace(/^error: /, '')}`) });
  registerLibraryCommands(program);
  program.parseAsync(process.argv).catch(fail);
}
