/** Which copy of a duplicate group to keep: the most pixels, then the largest file, then the oldest. */

export interface KeeperCandidate {
  path: string;
  width: number;
  height: number;
  /** bytes */
  size: number;
  /** capture time (EXIF) when known, else the file's mtime; epoch ms */
  date: number;
  /** file mtime, epoch ms: breaks ties between identical copies */
  mtimeMs: number;
}

function compare(a: KeeperCandidate, b: KeeperCandidate): number {
  return (
    b.width * b.height - a.width * a.height ||
    b.size - a.size ||
    a.date - b.date ||
    a.mtimeMs - b.mtimeMs ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
}

/** Candidates best first, and why the first wins over the second. */
export function rankKeepers<T extends KeeperCandidate>(files: T[]): { ranked: T[]; reason: string } {
  const ranked = [...files].sort(compare);
  const [a, b] = ranked;
  if (!b) return { ranked, reason: 'only copy' };
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  let reason: string;
  if (a.width * a.height !== b.width * b.height) reason = `largest resolution (${a.width}x${a.height}; next ${b.width}x${b.height})`;
  else if (a.size !== b.size) reason = `same resolution, largest file (${mb(a.size)}; next ${mb(b.size)})`;
  else if (a.date !== b.date) reason = `same resolution and file size, oldest (${day(a.date)}; next ${day(b.date)})`;
  else if (a.mtimeMs !== b.mtimeMs) reason = `same resolution, size and date, oldest file (modified ${day(a.mtimeMs)}; next ${day(b.mtimeMs)})`;
  else reason = 'all equal, first by path';
  return { ranked, reason };
}

function mb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}
