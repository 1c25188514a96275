import { InvalidArgumentError, Option } from 'commander';
import { resolveModelDir } from '../util/paths.js';
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

/** --model: a model folder, or the name of one shipped in models/ (e.g. "coco"); resolved to a folder path. */
export function modelOption(what = 'the shipped default model'): Option {
  return new Option('--model <dir>', `model folder, or the name of a shipped model (default, coco) (default: ${what})`).argParser(resolveModelDir);
}
