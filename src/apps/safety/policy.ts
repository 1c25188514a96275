/**
 * What vlm does with an image the safety classifier calls unsafe, decided per library at index time:
 *   flag   - index it and record the verdict (default): searches return it, marked;
 *   hide   - index it, but searches leave it out unless asked for hidden items;
 *   refuse - do not index it (reported as skipped, with the reason).
 * "Unsafe" is P(Porn) + P(Hentai) at the 'explicit' level (default), plus P(Sexy) at 'suggestive'.
 */
import { UsageError } from '../../util/errors.js';
import type { SafetyScores } from './classifier.js';

export type SafetyPolicy = 'flag' | 'hide' | 'refuse';
export const SAFETY_POLICIES: readonly SafetyPolicy[] = ['flag', 'hide', 'refuse'];
export type SafetyLevel = 'explicit' | 'suggestive';
export const SAFETY_LEVELS: readonly SafetyLevel[] = ['explicit', 'suggestive'];

export interface SafetyOptions {
  policy?: SafetyPolicy;
  level?: SafetyLevel;
  /** unsafe score at or above which an image is flagged (default 0.5) */
  threshold?: number;
}

/** What the library stores per image (metadata.safety). */
export interface SafetyVerdict {
  /** the unsafe score (see level) */
  unsafe: number;
  flagged: boolean;
  /** true when flagged under the hide policy: searches leave it out */
  hidden: boolean;
  /** the most likely class */
  top: string;
  scores: Record<string, number>;
  level: SafetyLevel;
  classifier: string;
}

export function parseSafetyPolicy(v: string): SafetyPolicy {
  if (!SAFETY_POLICIES.includes(v as SafetyPolicy)) throw new UsageError(`unknown safety policy "${v}": use ${SAFETY_POLICIES.join(', ')}`);
  return v as SafetyPolicy;
}

export function unsafeScore(s: SafetyScores, level: SafetyLevel = 'explicit'): number {
  return s.Porn + s.Hentai + (level === 'suggestive' ? s.Sexy : 0);
}

export function judge(s: SafetyScores, classifier: string, opts: SafetyOptions = {}): SafetyVerdict {
  const level = opts.level ?? 'explicit';
  const threshold = opts.threshold ?? 0.5;
  if (!(threshold > 0 && threshold <= 1)) throw new UsageError(`safety threshold must be in (0, 1], got ${threshold}`);
  const unsafe = unsafeScore(s, level);
  const flagged = unsafe >= threshold;
  const entries = Object.entries(s) as [string, number][];
  const top = entries.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    unsafe: round(unsafe), flagged, hidden: flagged && opts.policy === 'hide', top,
    scores: Object.fromEntries(entries.map(([k, v]) => [k, round(v)])), level, classifier,
  };
}

/** True when stored metadata says searches should leave the item out. */
export function isHidden(metadata: Record<string, unknown>): boolean {
  const s = metadata.safety as { hidden?: unknown } | undefined;
  return s?.hidden === true;
}
