#!/usr/bin/env node
import { Command } from 'commander';
import { fail } from './run.js';
import { registerEmbed } from './commands/embed.js';
import { registerClassify } from './commands/classify.js';
import { registerEval } from './commands/eval.js';
import { registerTrain } from './commands/train.js';
import { registerDemo } from './commands/demo.js';
import { registerLibraryCommands } from './commands/library.js';
import { registerServe } from './commands/serve.js';
import { registerFewshot } from './commands/fewshot.js';
import { registerCaption } from './commands/caption.js';
import { registerExplain } from './commands/explain.js';
import { registerAsk } from './commands/ask.js';

const program = new Command('vlm')
  .description('Vision-language models offline: embed, classify, search, caption and explain images in English and Chinese.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  // Parse errors exit 2 (bad usage); help and version exit 0. Set before subcommands so they inherit it.
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(`vlm: ${str.replace(/^error: /, '')}`) });

registerEmbed(program);
registerClassify(program);
registerEval(program);
registerTrain(program);
registerDemo(program);
registerLibraryCommands(program);
registerServe(program);
registerFewshot(program);
registerCaption(program);
registerExplain(program);
registerAsk(program);

program.parseAsync(process.argv).catch(fail);
