import type { Encoder, Lang } from '../../encoders/encoder.js';
import { l2normalize } from '../../encoders/encoder.js';
import { detectLang } from '../../text/lang.js';
import { classifierFromWeights, zeroShotClassifier, type ZeroShotClassifier } from '../../eval/zero-shot.js';
import { promptTemplates, PROMPT_DOMAINS, type PromptDomain } from '../../eval/prompts.js';
import { UsageError } from '../../util/errors.js';
import { embedImagesSafely } from '../embed-images.js';

export interface LabelSpec {
  label: string;
  /** Other names of the same class; their prompts are averaged into the class vector. */
  synonyms: string[];
}

export interface LabelScore { label: string; score: number }

export type FileResult =
  | { path: string; labels: LabelScore[]; embedding: Float32Array }
  | { path: string; error: string };

export interface LabelClassifier {
  lang: Lang;
  classifier: ZeroShotClassifier;
  /** Labels sorted by probability for each embedding. */
  rank(imageEmbeddings: Float32Array[]): LabelScore[][];
  /** Embeds and ranks image files; unreadable files come back with their error, never abort the rest. */
  classifyFiles(paths: string[]): AsyncGenerator<FileResult>;
}

export interface PromptOptions {
  /** Prompt language; default: detected from the labels. */
  lang?: Lang;
  /** Prompt-template set (src/eval/templates/<domain>.json); default generic. */
  domain?: string;
}

export interface ClassVectors {
  lang: Lang;
  templates: string[];
  /** One unit vector per label, synonyms folded in. */
  weights: Float32Array[];
}

/**
 * The zero-shot class vectors of labels: each name's prompt-template ensemble, and a class with
 * synonyms is the renormalised mean of its names' vectors (so one odd synonym cannot dominate).
 */
export async function labelVectors(encoder: Encoder, specs: LabelSpec[], opts: PromptOptions = {}): Promise<ClassVectors> {
  const domain = (opts.domain ?? 'generic') as PromptDomain;
  if (!PROMPT_DOMAINS.includes(domain)) throw new UsageError(`unknown --domain "${opts.domain}": use ${PROMPT_DOMAINS.join(', ')}`);
  const lang = opts.lang ?? detectLang(specs.map((s) => s.label).join(' '));
  const templates = promptTemplates(domain, lang);
  const names = specs.flatMap((s) => [s.label, ...s.synonyms]);
  const all = await zeroShotClassifier(encoder, names, templates, lang, { quiet: true });
  let k = 0;
  const weights = specs.map((s) => {
    const w = new Float32Array(encoder.dim);
    for (let n = 0; n <= s.synonyms.length; n++, k++) all.weights[k].forEach((v, d) => (w[d] += v));
    return l2normalize(w);
  });
  return { lang, templates, weights };
}

/**
 * Zero-shot classification by label names: prompt-template ensembles (per domain and language)
 * with synonyms folded into one class vector. The language is taken from the labels unless given.
 * `temperature` is the softmax temperature on cosine similarities (default CLIP's 0.01); fit one on
 * labelled examples with `vlm fewshot train --method zeroshot` (calibrate.ts) for honest probabilities.
 */
export async function zeroShotLabels(
  encoder: Encoder,
  specs: LabelSpec[],
  opts: PromptOptions & { temperature?: number } = {},
): Promise<LabelClassifier> {
  const { lang, templates, weights } = await labelVectors(encoder, specs, opts);
  const classifier = classifierFromWeights(specs.map((s) => s.label), templates, lang, weights);
  // Default: the model's own learned scale (softmax it was trained with); CLIP's 100 when it has none.
  const temperature = opts.temperature ?? (encoder.logitScale ? 1 / encoder.logitScale : undefined);

  const rank = (embeddings: Float32Array[]) =>
    classifier.classify(embeddings, { temperature }).map((p) =>
      Array.from(p, (score, c) => ({ label: classifier.labels[c], score })).sort((a, b) => b.score - a.score),
    );

  return {
    lang,
    classifier,
    rank,
    async *classifyFiles(paths) {
      for await (const r of embedImagesSafely(encoder, paths)) {
        if ('error' in r) yield { path: r.item, error: r.error };
        else yield { path: r.item, labels: rank([r.embedding])[0], embedding: r.embedding };
      }
    },
  };
}
