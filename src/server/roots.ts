/**
 * The library roots are the only folders the server reads. A path is allowed when it lies inside a
 * root both as written and after resolving symbolic links, so neither "../" nor a link planted in the
 * library can reach other files.
 */
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

interface Root {
  path: string;
  real: string;
}

function inside(parent: string, child: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

export class LibraryRoots {
  private readonly list: Root[];

  constructor(paths: string[]) {
    this.list = paths.map((p) => {
      const path = resolve(p);
      return { path, real: realpathSync(path) };
    });
  }

  get paths(): string[] {
    return this.list.map((r) => r.path);
  }

  /** The real path of `path` when it (and its link target) is inside a root; undefined otherwise or when missing. */
  async allowed(path: string): Promise<string | undefined> {
    if (!isAbsolute(path) || path.includes('\0')) return undefined;
    const abs = resolve(path);
    if (!this.list.some((r) => inside(r.path, abs) || inside(r.real, abs))) return undefined;
    const real = await realpath(abs).catch(() => undefined);
    if (real === undefined || !this.list.some((r) => inside(r.real, real))) return undefined;
    return real;
  }

  /**
   * A folder named by a client: absolute, or relative to the first root. Returns the path as written
   * inside its root (the indexer keys files by it), or undefined when it leaves the roots.
   */
  async folder(input: string): Promise<string | undefined> {
    if (input.includes('\0') || this.list.length === 0) return undefined;
    const abs = isAbsolute(input) ? resolve(input) : resolve(this.list[0].path, input);
    return (await this.allowed(abs)) === undefined ? undefined : abs;
  }

  /** `path` relative to the root holding it, with / separators (what clients are shown). */
  display(path: string): string {
    const root = this.list.find((r) => inside(r.path, path)) ?? this.list.find((r) => inside(r.real, path));
    if (!root) return path.split(sep).pop() ?? path;
    const base = inside(root.path, path) ? root.path : root.real;
    return relative(base, path).split(sep).join('/');
  }
}
