/**
 * Zero-shot classifiers by label set: building one embeds every label in every prompt template
 * (tens of texts), so a web page classifying several images against the same labels builds it once.
 */
import type { Encoder, Lang } from '../encoders/encoder.js';
import { zeroShotLabels, type LabelClassifier } from '../apps/classify/zero-shot.js';
import { Lru } from './lru.js';

export class ClassifierCache {
  private readonly lru = new Lru<string, Promise<LabelClassifier>>(32);

  constructor(private readonly encoder: Encoder) {}

  get(labels: string[], opts: { lang?: Lang; domain?: string }): Promise<LabelClassifier> {
    const key = JSON.stringify([labels, opts.lang ?? '', opts.domain ?? 'generic']);
    let p = this.lru.get(key);
    if (!p) {
      p = zeroShotLabels(this.encoder, labels.map((label) => ({ label, synonyms: [] })), opts);
      this.lru.set(key, p);
      p.catch(() => this.lru.delete(key)); // a failed build (unknown domain) is not kept
    }
    return p;
  }
}
