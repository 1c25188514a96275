/**
 * Finds the image files under a folder: recursive, following symbolic links but never around a loop,
 * skipping hidden entries (.git, .vlm, macOS "._" files) and any excluded folder (the library's own db).
 */
import type { Dirent, Stats } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/** Extensions treated as images; a file with one that does not decode is reported as skipped, others are ignored. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif',
]);

export interface DiskFile {
  /** absolute path as found (through symlinks, not resolved) */
  path: string;
  size: number;
  mtimeMs: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface WalkResult {
  files: DiskFile[];
  /** image files and folders that could not be read, with why */
  skipped: SkippedFile[];
  /** regular files whose extension is not an image's (videos, sidecars, documents) */
  ignored: number;
}

export interface WalkOptions {
  /** folders not to enter (absolute; compared by real path) */
  exclude?: string[];
}

/** stat calls in flight per folder: enough to hide disk latency, few enough not to exhaust file handles. */
const STAT_PARALLEL = 32;

export async function walkImages(root: string, opts: WalkOptions = {}): Promise<WalkResult> {
  const out: WalkResult = { files: [], skipped: [], ignored: 0 };
  const top = resolve(root);
  const exclude = new Set<string>();
  for (const e of opts.exclude ?? []) exclude.add(await realpath(e).catch(() => resolve(e)));
  /** real path of each folder walked -> the path it was first reached by */
  const walked = new Map<string, string>();

  const walkDir = async (dir: string, real: string): Promise<void> => {
    walked.set(real, dir);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      out.skipped.push({ path: dir, reason: `cannot read folder (${errCode(e)})` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: { path: string; real: string }[] = [];
    const visible = entries.filter((d) => !d.name.startsWith('.'));
    for (let i = 0; i < visible.length; i += STAT_PARALLEL) {
      const chunk = visible.slice(i, i + STAT_PARALLEL);
      const infos = await Promise.all(chunk.map((d) => inspect(join(dir, d.name), d)));
      for (const info of infos) {
        if (info.kind === 'skip') out.skipped.push({ path: info.path, reason: info.reason });
        else if (info.kind === 'dir') subdirs.push(info);
        else if (info.kind === 'file') {
          if (IMAGE_EXTENSIONS.has(extname(info.path).toLowerCase())) out.files.push({ path: info.path, size: info.st.size, mtimeMs: info.st.mtimeMs });
          else out.ignored++;
        }
      }
    }
    for (const sub of subdirs) {
      if (exclude.has(sub.real)) continue;
      const seen = walked.get(sub.real);
      if (seen !== undefined) {
        const loop = real === sub.real || real.startsWith(sub.real + sep);
        out.skipped.push({ path: sub.path, reason: loop ? `symbolic link loop (leads back to ${seen})` : `folder already indexed as ${seen}` });
        continue;
      }
      await walkDir(sub.path, sub.real);
    }
  };

  let topStat: Stats;
  try {
    topStat = await stat(top);
  } catch (e) {
    throw Object.assign(new Error(`cannot read ${top} (${errCode(e)})`), { code: errCode(e) });
  }
  if (!topStat.isDirectory()) throw Object.assign(new Error(`${top} is not a folder`), { code: 'ENOTDIR' });
  await walkDir(top, await realpath(top));
  return out;
}

type Inspected =
  | { kind: 'file'; path: string; st: Stats }
  | { kind: 'dir'; path: string; real: string }
  | { kind: 'skip'; path: string; reason: string }
  | { kind: 'other' };

async function inspect(path: string, d: Dirent): Promise<Inspected> {
  if (d.isFile() || d.isDirectory() || d.isSymbolicLink()) {
    let st: Stats;
    try {
      st = await stat(path); // follows links
    } catch (e) {
      const code = errCode(e);
      if (!d.isSymbolicLink()) return { kind: 'skip', path, reason: `cannot read (${code})` };
      if (code === 'ELOOP') return { kind: 'skip', path, reason: 'symbolic link loop (the link points back to itself)' };
      return { kind: 'skip', path, reason: code === 'ENOENT' ? 'broken symbolic link (its target does not exist)' : `cannot follow symbolic link (${code})` };
    }
    if (st.isDirectory()) {
      try {
        return { kind: 'dir', path, real: await realpath(path) };
      } catch (e) {
        return { kind: 'skip', path, reason: `cannot resolve folder (${errCode(e)})` };
      }
    }
    if (st.isFile()) return { kind: 'file', path, st };
  }
  return { kind: 'other' }; // sockets, fifos, devices: never images
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? (e instanceof Error ? e.message : String(e));
}
