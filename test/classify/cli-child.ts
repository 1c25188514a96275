/**
 * `node dist/test/classify/cli-child.js <command> ...`: the classify, fewshot and eval commands on a program set up
 * like src/cli/main.ts (exit codes, error output), so the CLI test runs the users' code paths.
 * Without arguments (as when the test runner loads every file under test/) it does nothing.
 */
import { Command } from 'commander';
import { registerClassify } from '../../src/cli/commands/classify.js';
import { registerEval } from '../../src/cli/commands/eval.js';
import { registerFewshot } from '../../src/cli/commands/fewshot.js';
import { fail } from '../../src/cli/run.js';

if (process.argv.length > 2) {
  const program = new Command('vlm')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`vlm: ${str.replace(/^error: /, '')}`) });
  registerClassify(program);
  registerEval(program);
  registerFewshot(program);
  program.parseAsync(process.argv).catch(fail);
}
