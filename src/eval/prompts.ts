import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lang } from '../encoders/encoder.js';
import { UsageError, VlmError } from '../util/errors.js';
import { repoRoot } from '../util/paths.js';

/**
 * Prompt-template ensembles per domain and language, kept as data in src/eval/templates/<domain>.json
 * (read from the repo at run time, so they are the same from src/ and dist/ and need no build step).
 * A template holds one "{}" that is replaced by the class name.
 */
export const PROMPT_DOMAINS = ['generic', 'traffic', 'fashion', 'medical'] as const;
export type PromptDomain = (typeof PROMPT_DOMAINS)[number];

const cache = new Map<PromptDomain, Record<Lang, string[]>>();

export function promptTemplates(domain: PromptDomain, lang: Lang): string[] {
  if (!PROMPT_DOMAINS.includes(domain)) throw new UsageError(`unknown prompt domain "${domain}": use ${PROMPT_DOMAINS.join(', ')}`);
  let sets = cache.get(domain);
  if (!sets) {
    const path = join(repoRoot, 'src', 'eval', 'templates', `${domain}.json`);
    try {
      sets = JSON.parse(readFileSync(path, 'utf8')) as Record<Lang, string[]>;
    } catch (err) {
      throw new VlmError(`cannot read prompt templates ${path}: ${(err as Error).message}`, { cause: err });
    }
    for (const l of ['en', 'zh'] as const) {
      const bad = (sets[l] ?? []).find((t) => t.split('{}').length !== 2);
      if (!sets[l]?.length || bad !== undefined) throw new VlmError(`${path}: "${l}" must be a non-empty list of templates with exactly one {} (bad: ${bad})`);
    }
    cache.set(domain, sets);
  }
  return [...sets[lang]];
}

/** Put a class name into a template ("a photo of a {}." -> "a photo of a dog."). */
export function fillTemplate(template: string, label: string): string {
  return template.replace('{}', () => label); // a function: "$&" etc. in a label are text, not patterns
}
