import { InvalidArgumentError } from 'commander';
import type { Lang } from '../encoders/encoder.js';

/** Option parsers for commander: InvalidArgumentError makes commander report the option and exit 2. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number.');
  return n;
}

export function parseLang(value: string): Lang {
  if (value !== 'en' && value !== 'zh') throw new InvalidArgumentError('expected "en" or "zh".');
  return value;
}

/** "a, b,,c" -> ["a","b","c"]; the Chinese comma separates too. */
export function parseList(value: string): string[] {
  return value.split(/[,，]/).map((s) => s.trim()).filter((s) => s.length > 0);
}
