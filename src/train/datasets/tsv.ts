import { readFileSync } from 'node:fs';
import { VlmError } from '../../util/errors.js';

/**
 * A TSV file of the shared datasets: a header row, tab-separated columns, LF lines and NO quoting —
 * captions may contain `"`, so every line is split on tabs only (a CSV parser would mangle them).
 */
export function parseTsv(text: string, source = 'TSV'): Record<string, string>[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new VlmError(`${source}: empty file (expected a header row)`);
  const header = stripCr(lines[0]).split('\t');
  const rows: Record<string, string>[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = stripCr(lines[i]);
    if (line === '') continue;
    const cells = line.split('\t');
    if (cells.length !== header.length) {
      throw new VlmError(`${source}: line ${i + 1} has ${cells.length} columns, the header has ${header.length}`);
    }
    const row: Record<string, string> = {};
    header.forEach((h, k) => (row[h] = cells[k]));
    rows.push(row);
  }
  return rows;
}

export function readTsv(path: string): Record<string, string>[] {
  return parseTsv(readFileSync(path, 'utf8'), path);
}

/** A list file: one name per line, blank lines ignored. */
export function readList(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').map(stripCr).filter((s) => s !== '');
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
