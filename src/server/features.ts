/**
 * Optional apps behind /v1/caption, /v1/ask and /v1/explain, each wired by one line in FEATURE_LOADERS
 * (an adapter from the app's API to the signature below). A server embedding vlm may turn one off
 * (`features: { ask: null }`); its route then answers 501 saying what is missing.
 */
import type { Encoder, Lang } from '../encoders/encoder.js';
import type { RgbImage } from '../image/types.js';

export interface CaptionResult { caption: string; lang: Lang; [extra: string]: unknown }
export interface AskResult { answer: string; skill: string; confidence: number; [extra: string]: unknown }
export interface ExplainResult {
  width: number;
  height: number;
  /** relevance per region, rows of columns, 0..1 */
  grid: number[][];
  words?: { word: string; contribution: number }[];
  /** overlay at the input's size */
  png?: Buffer;
}

export interface Features {
  caption: (encoder: Encoder, image: RgbImage, opts: { lang?: Lang }) => Promise<CaptionResult>;
  ask: (encoder: Encoder, image: RgbImage, question: string) => Promise<AskResult>;
  explain: (encoder: Encoder, image: RgbImage, text: string, opts?: { method?: 'dense' | 'occlusion' }) => Promise<ExplainResult>;
}

export type FeatureName = keyof Features;

/** Per feature: an implementation to use instead of the registry's, or null to turn it off. */
export type FeatureOverrides = { [K in FeatureName]?: Features[K] | null };

/** What each feature is, and where it is being built, for the 501 message. */
export const FEATURE_INFO: Record<FeatureName, { what: string; issue: string }> = {
  caption: { what: 'image captioning', issue: 'issue 7 (image-to-text)' },
  ask: { what: 'visual question answering', issue: 'issue 7 (image-to-text)' },
  explain: { what: 'similarity heatmaps', issue: 'issue 8 (explainability)' },
};

/** One line per app; undefined until the app lands. Loaded lazily so startup pays only for what is used. */
export const FEATURE_LOADERS: { [K in FeatureName]: (() => Promise<Features[K]>) | undefined } = {
  caption: () => import('../apps/caption/feature.js').then((m) => m.captionForServer),
  ask: () => import('../apps/ask/feature.js').then((m) => m.askForServer),
  explain: () => import('../apps/explain/feature.js').then((m) => m.explainForServer),
};

/** Resolves the features a server offers: explicit ones first, then the registry. */
export class FeatureSet {
  private readonly cache = new Map<FeatureName, Promise<unknown>>();

  constructor(private readonly explicit: FeatureOverrides = {}) {}

  available(name: FeatureName): boolean {
    if (this.explicit[name] === null) return false;
    return this.explicit[name] !== undefined || FEATURE_LOADERS[name] !== undefined;
  }

  list(): Record<FeatureName, boolean> {
    return { caption: this.available('caption'), ask: this.available('ask'), explain: this.available('explain') };
  }

  async get<K extends FeatureName>(name: K): Promise<Features[K] | undefined> {
    const own = this.explicit[name];
    if (own === null) return undefined;
    if (own) return own as Features[K];
    const loader = FEATURE_LOADERS[name];
    if (!loader) return undefined;
    let p = this.cache.get(name);
    if (!p) {
      p = loader();
      this.cache.set(name, p);
    }
    return (await p) as Features[K];
  }
}
