import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { IMAGE_EXTENSIONS } from '../library/walk.js';
import { UsageError } from '../../util/errors.js';

/** A folder of labelled examples: `<dir>/<label>/*.jpg` (any image format vlm reads). */
export interface SupportFolder {
  dir: string;
  /** Class names (sub-folder names), sorted. */
  labels: string[];
  /** Image files with their class index, sorted by (class, file). */
  items: { path: string; label: number }[];
}

/**
 * Lists a support folder. Sub-folders without images are left out (with their names in `empty`);
 * files that are not images by extension are ignored. Fewer than two classes is a UsageError that
 * says how the folder must look.
 */
export function readSupportFolder(dir: string): SupportFolder & { empty: string[] } {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`example folder not found: ${root}`);
  const labels: string[] = [];
  const items: { path: string; label: number }[] = [];
  const empty: string[] = [];
  const subdirs = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  for (const name of subdirs) {
    const files = readdirSync(join(root, name), { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
      .map((e) => e.name)
      .sort();
    if (files.length === 0) {
      empty.push(name);
      continue;
    }
    const label = labels.length;
    labels.push(name);
    for (const f of files) items.push({ path: join(root, name, f), label });
  }
  const layout = `expected ${root}/<label>/<image files>, e.g. ${root}/cat/1.jpg and ${root}/dog/1.jpg`;
  if (labels.length === 0) throw new UsageError(`no labelled images in ${root}: ${layout}`);
  if (labels.length === 1) {
    throw new UsageError(`only one class ("${labels[0]}") in ${root}: a classifier needs examples of at least two classes (${layout})`);
  }
  return { dir: root, labels, items, empty };
}

/** The name used in prompts for a folder name: "stop_sign" -> "stop sign". */
export function promptName(folderName: string): string {
  return folderName.replace(/[_]+/g, ' ').replace(/\s+/g, ' ').trim();
}
