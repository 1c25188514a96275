/**
 * Where `vlm serve` keeps the demo gallery's index: the repo's .cache when it is writable (a checkout),
 * else the user's data folder ($XDG_DATA_HOME/vlm or ~/.local/share/vlm, %LOCALAPPDATA%\vlm on Windows)
 * for an installed package. One index per model, since vectors of two models do not mix.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, repoRoot } from '../util/paths.js';

function writable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function userDataDir(): string {
  if (process.env.XDG_DATA_HOME) return join(process.env.XDG_DATA_HOME, 'vlm');
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return join(process.env.LOCALAPPDATA, 'vlm');
  return join(homedir(), '.local', 'share', 'vlm');
}

export const DEMO_DIR = join(repoRoot, 'assets', 'demo');

export function demoDbPath(encoderId: string): string {
  const name = `demo-${createHash('sha256').update(encoderId).digest('hex').slice(0, 12)}`;
  const local = cacheDir('serve');
  return join(writable(local) ? local : userDataDir(), name);
}
