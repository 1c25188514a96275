import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VlmError } from '../../util/errors.js';
import { dataDir, datasetDir } from '../../util/paths.js';

/** The folder of a shared dataset, or a VlmError that says how to provide it. */
export function requireDataset(name: 'flickr8k' | 'gtsrb' | 'medpix', title: string): string {
  const dir = datasetDir(name);
  if (!dir) {
    throw new VlmError(`${title} not found at ${join(dataDir(), name)}: set VLM_DATA or put the data in ../shared/data`);
  }
  return dir;
}

/** A file that must exist inside a dataset folder (a partial copy fails here, not deep inside a loop). */
export function requireFile(path: string, title: string): string {
  if (!existsSync(path)) throw new VlmError(`${title}: missing ${path} (incomplete copy of the dataset?)`);
  return path;
}
