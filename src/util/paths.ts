import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (package) root, found from this file whether run from src/ via tsx or from dist/src. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('vlm: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
})();

/** Where the shared datasets live: $VLM_DATA, else ../shared/data beside the repo. */
export function dataDir(): string {
  return resolve(process.env.VLM_DATA ?? join(repoRoot, '..', 'shared', 'data'));
}

/** Folder of one dataset, or undefined when it is not present on this machine. */
export function datasetDir(name: 'flickr8k' | 'gtsrb' | 'medpix'): string | undefined {
  const dir = join(dataDir(), name);
  return existsSync(dir) ? dir : undefined;
}

/** Fashion-MNIST from the Debian package dataset-fashion-mnist (or $VLM_FASHION_MNIST). */
export function fashionMnistDir(): string | undefined {
  const dir = process.env.VLM_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
  return existsSync(dir) ? dir : undefined;
}

/** The shipped default model folder. */
export const defaultModelDir: string = join(repoRoot, 'models', 'default');

/**
 * A --model argument as a folder: a path that exists is taken as is; otherwise a bare name (e.g. "coco") names
 * a model shipped in the repo's models/ folder. Anything else is returned resolved, for the loader to report.
 */
/** How to name a model folder in a reproducible command: the shipped name when it is one, else the path. */
export function modelArg(dir: string): string {
  const shipped = relative(join(repoRoot, 'models'), resolve(dir));
  return /^[A-Za-z0-9._-]+$/.test(shipped) ? shipped : dir;
}

export function resolveModelDir(arg: string): string {
  const asPath = resolve(arg);
  if (existsSync(asPath) || !/^[A-Za-z0-9._-]+$/.test(arg)) return asPath;
  const shipped = join(repoRoot, 'models', arg);
  return existsSync(join(shipped, 'config.json')) ? shipped : asPath;
}

/** Scratch space for caches (tower features, extracted data); never committed. */
export function cacheDir(...parts: string[]): string {
  return join(resolve(process.env.VLM_CACHE ?? join(repoRoot, '.cache')), ...parts);
}
