import type { Command } from 'commander';
import { registerDupes } from './dupes.js';
import { registerIndex } from './index.js';
import { registerRecommend } from './recommend.js';
import { registerSearch } from './search.js';
import { registerSimilar } from './similar.js';

/** The photo-library commands: index, search, similar, dupes, recommend. */
export function registerLibraryCommands(program: Command): void {
  registerIndex(program);
  registerSearch(program);
  registerSimilar(program);
  registerDupes(program);
  registerRecommend(program);
}
