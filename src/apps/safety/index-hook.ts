/** The safety check as the library indexer runs it: one verdict per new image, never fatal. */
import type { ImageInput } from '../../image/types.js';
import { log } from '../../util/log.js';
import type { SafetyClassifier } from './classifier.js';
import { judge, type SafetyOptions, type SafetyVerdict } from './policy.js';

export interface IndexSafety extends SafetyOptions {
  classifier: SafetyClassifier;
}

/** Verdicts in input order; an image the classifier cannot read gets undefined (it is indexed unjudged). */
export async function safetyVerdicts(s: IndexSafety, images: ImageInput[]): Promise<(SafetyVerdict | undefined)[]> {
  try {
    return (await s.classifier.classify(images)).map((sc) => judge(sc, s.classifier.id, s));
  } catch {
    return Promise.all(images.map(async (img) => {
      try {
        return judge((await s.classifier.classify([img]))[0], s.classifier.id, s);
      } catch (e) {
        log(`vlm: safety classifier failed on an image (${(e as Error).message}); indexed without a verdict`);
        return undefined;
      }
    }));
  }
}

/** The skip reason for an image refused by the policy, or undefined when it may be indexed. */
export function refusal(s: IndexSafety, v: SafetyVerdict | undefined): string | undefined {
  if (!v?.flagged || s.policy !== 'refuse') return undefined;
  return `refused by the safety policy (unsafe score ${v.unsafe.toFixed(2)} at level ${v.level}; most likely ${v.top})`;
}
