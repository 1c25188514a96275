/**
 * The two metadata keys every store also keeps as real columns, so path-prefix and date filters
 * run inside the database (pushed down as SQL) instead of after the top-k cut.
 */

/** metadata.path when it is a string, else null. */
export function metadataPath(metadata: Record<string, unknown>): string | null {
  return typeof metadata.path === 'string' ? metadata.path : null;
}

/** metadata.takenAt (or metadata.date) as epoch ms: a finite number, or a string Date.parse understands; else null. */
export function metadataTakenAt(metadata: Record<string, unknown>): number | null {
  const raw = metadata.takenAt ?? metadata.date;
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw === 'string') {
    const ms = Date.parse(raw);
    return Number.isFinite(ms) ? ms : null;
  }
  if (raw instanceof Date) return Number.isFinite(raw.getTime()) ? raw.getTime() : null;
  return null;
}
