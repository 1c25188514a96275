/**
 * The image safety check of the server's own indexing (the gallery indexed on start and POST /v1/index):
 * the same nsfwjs classifier and flag / hide / refuse policy as `vlm index --safety`, through the indexer's
 * safety hook. The classifier loads at the first indexing job, once, and is shared by all later jobs.
 */
import type { SafetyClassifier } from '../apps/safety/classifier.js';
import type { IndexSafety } from '../apps/safety/index-hook.js';
import { parseSafetyPolicy, SAFETY_LEVELS, type SafetyLevel, type SafetyOptions, type SafetyPolicy } from '../apps/safety/policy.js';
import { UsageError } from '../util/errors.js';

export interface ServerSafety extends SafetyOptions {
  /** flag (default): index and mark; hide: index, leave out of searches; refuse: do not index */
  policy: SafetyPolicy;
  /** default: the nsfwjs classifier (apps/safety) */
  classifier?: SafetyClassifier;
}

/** What a server does when not told: flag, like `vlm index`, so nothing is lost or silently hidden. */
export const DEFAULT_SERVER_SAFETY: Readonly<ServerSafety> = Object.freeze({ policy: 'flag' });

/** `flag|hide|refuse|off`, optionally `:explicit|suggestive` (e.g. "hide:suggestive"), as in $VLM_SAFETY. */
export function parseServerSafety(spec: string): ServerSafety | 'off' {
  const [p, level, extra] = spec.trim().split(':');
  if (p === 'off' && level === undefined) return 'off';
  if (extra !== undefined || (level !== undefined && !SAFETY_LEVELS.includes(level as SafetyLevel))) {
    throw new UsageError(`bad safety setting "${spec}": use flag, hide, refuse or off, optionally with :${SAFETY_LEVELS.join(' or :')}`);
  }
  return { policy: parseSafetyPolicy(p), ...(level ? { level: level as SafetyLevel } : {}) };
}

/** The indexer's safety options, loading the classifier on first use; undefined when the check is off. */
export class SafetyGate {
  private loading?: Promise<IndexSafety>;
  private loaded?: SafetyClassifier;

  constructor(readonly setting: ServerSafety | 'off' = DEFAULT_SERVER_SAFETY) {
    if (setting !== 'off') parseSafetyPolicy(setting.policy);
  }

  get policy(): SafetyPolicy | 'off' {
    return this.setting === 'off' ? 'off' : this.setting.policy;
  }

  async forIndexing(): Promise<IndexSafety | undefined> {
    const s = this.setting;
    if (s === 'off') return undefined;
    this.loading ??= (async () => {
      // loaded lazily: tfjs and the nsfwjs weights only when something is indexed
      const classifier = s.classifier ?? (this.loaded = await (await import('../apps/safety/classifier.js')).loadSafetyClassifier());
      return { classifier, policy: s.policy, level: s.level, threshold: s.threshold };
    })();
    // a failed load is retried by the next job rather than cached
    return this.loading.catch((e: unknown) => {
      this.loading = undefined;
      throw e;
    });
  }

  /** Frees the classifier the gate loaded itself (nsfwjs' own dispose() throws; ours does not). */
  dispose(): void {
    try {
      this.loaded?.dispose();
    } catch {
      // nothing left to free
    }
    this.loaded = undefined;
    this.loading = undefined;
  }
}
