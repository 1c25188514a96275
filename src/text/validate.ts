/**
 * The one check every user-typed text passes before it reaches a model (CLI and server alike):
 * a length cap, no control characters, not empty. Texts are data: nothing here (or downstream)
 * interprets them, and fillTemplate() puts a label into a prompt template without reading it.
 */
import { UsageError } from '../util/errors.js';

/** Longest text accepted (characters, after trimming): the server's schemas use the same cap. */
export const MAX_TEXT_LENGTH = 500;

export interface ValidateTextOptions {
  /** what the text is, for the message ("text", "query", "label"); default "text" */
  field?: string;
  /** default MAX_TEXT_LENGTH */
  maxLength?: number;
}

// Tab, LF and CR are ordinary line breaks in pasted text: they become spaces.
const LINE_BREAKS = /[\t\n\r]+/g;
// Any other C0/C1 control (NUL, ESC, DEL, ...) and the bidi overrides/isolates that make text read
// differently from what it is ("Trojan Source") are refused rather than silently dropped.
const REFUSED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

/**
 * The text as the models will see it (line breaks as spaces, trimmed) or a UsageError saying what to fix:
 * empty, too long, or holding a control character (named by code point and position).
 */
export function validateText(text: unknown, opts: ValidateTextOptions = {}): string {
  const field = opts.field ?? 'text';
  const max = opts.maxLength ?? MAX_TEXT_LENGTH;
  if (typeof text !== 'string') throw new UsageError(`the ${field} must be a string`);
  const bad = REFUSED.exec(text);
  if (bad) {
    const cp = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new UsageError(`the ${field} contains the control character U+${cp} at position ${bad.index + 1}: remove it and try again`);
  }
  const clean = text.replace(LINE_BREAKS, ' ').trim();
  if (clean.length === 0) throw new UsageError(`the ${field} is empty: give some words, e.g. "a dog on the grass"`);
  const n = [...clean].length;
  if (n > max) throw new UsageError(`the ${field} is ${n} characters long, over the ${max}-character limit: shorten it`);
  return clean;
}

/**
 * Put a label into a template with exactly one "{}", treating the label as plain data: String.replace
 * would read "$&", "$`" and "$'" in the label as patterns, and a "{}" inside the label is left as typed.
 */
export function fillTemplate(template: string, label: string): string {
  const i = template.indexOf('{}');
  if (i < 0) throw new UsageError(`prompt template "${template}" has no {} for the label`);
  return template.slice(0, i) + label + template.slice(i + 2);
}
