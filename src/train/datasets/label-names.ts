import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VlmError } from '../../util/errors.js';
import { repoRoot } from '../../util/paths.js';

export interface LabelNames {
  id: number;
  /** English name for prompts. */
  en: string;
  /** Chinese name for prompts. */
  zh: string;
  /** Official dataset name, where it differs from `en`. */
  name?: string;
}

/**
 * Class names kept as data in src/eval/labels/<file> (read from the repo, not compiled, so they work
 * from src/ and dist/ alike and can be edited without touching code).
 */
export function readLabelNames(file: string): LabelNames[] {
  const path = join(repoRoot, 'src', 'eval', 'labels', file);
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { classes: LabelNames[] };
    return parsed.classes;
  } catch (err) {
    throw new VlmError(`cannot read label names ${path}: ${(err as Error).message}`, { cause: err });
  }
}
