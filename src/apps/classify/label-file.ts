import { readFileSync } from 'node:fs';
import { UsageError } from '../../util/errors.js';
import type { LabelSpec } from './zero-shot.js';

/**
 * Label files: one class per line, optional synonyms after a colon, `#` starts a comment line.
 *
 *     stop sign: stop, halt sign
 *     yield: give way
 *     限速: 限速标志            (full-width colon and comma work too)
 *
 * Synonyms are other names of the same class; their prompt embeddings are averaged into its vector.
 */
export function parseLabelsText(text: string, source = 'labels file'): LabelSpec[] {
  const specs: LabelSpec[] = [];
  const seen = new Set<string>();
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([^:：]*)[:：](.*)$/s.exec(line);
    const label = (m ? m[1] : line).trim();
    const synonyms = m ? m[2].split(/[,，、]/).map((s) => s.trim()).filter(Boolean) : [];
    if (!label) throw new UsageError(`${source} line ${i + 1}: a label is missing before the colon`);
    if (seen.has(label)) throw new UsageError(`${source} line ${i + 1}: label "${label}" is given twice`);
    seen.add(label);
    specs.push({ label, synonyms: [...new Set(synonyms.filter((s) => s !== label))] });
  });
  return specs;
}

export function readLabelsFile(path: string): LabelSpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the labels file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const specs = parseLabelsText(text, path);
  if (specs.length === 0) throw new UsageError(`the labels file ${path} holds no labels: write one label per line`);
  return specs;
}

/** Labels for zero-shot classification: at least two, all distinct. */
export function checkLabelSpecs(specs: LabelSpec[]): LabelSpec[] {
  if (specs.length === 0) throw new UsageError('the label list is empty: give at least two labels, e.g. --labels "dog,cat"');
  if (specs.length === 1) throw new UsageError(`only one label ("${specs[0].label}"): classification needs at least two`);
  const seen = new Set<string>();
  for (const { label } of specs) {
    if (seen.has(label)) throw new UsageError(`label "${label}" is given twice`);
    seen.add(label);
  }
  return specs;
}
