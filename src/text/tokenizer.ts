/**
 * The mixed English/Chinese tokenizer of the text tower: English by words (the embedding vocabulary),
 * CJK by characters. Ids: specials first, then the "en" words, then the "zh" characters.
 * Sequence = [CLS] tokens... [SEP], truncated to maxLength (keeping [SEP]), padded with [PAD] = 0.
 */
import { readFileSync } from 'node:fs';
import { InputError, UsageError, VlmError } from '../util/errors.js';
import { normalizeText } from './normalize.js';
import { segment } from './segment.js';
import { resolveWord } from './resolve-word.js';

export const TOKENIZER_TYPE = 'vlm-mixed';
export const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[UNK_ZH]'] as const;

/** The tokenizer file (`tokenizer.json` in a model folder). */
export interface TokenizerJSON {
  type: typeof TOKENIZER_TYPE;
  version: 1;
  lowercase: boolean;
  maxLength: number;
  specials: string[];
  en: string[];
  zh: string[];
}

/** One token of a text, with the word it came from (for word-level explanations). */
export interface TokenPiece {
  token: string;
  id: number;
  /** The word (or CJK character, or symbol) of the normalised text that produced this token. */
  word: string;
  /** Index of that word among the text's words; tokens of one word share it. */
  wordIndex: number;
}

export interface TokenBatch {
  /** Row-major [texts.length, length] token ids, padded with [PAD]. */
  ids: Int32Array;
  /** 1 for real tokens (incl. [CLS]/[SEP]), 0 for padding; same layout as ids. */
  mask: Float32Array;
  /** Padded sequence length L. */
  length: number;
  /** Unpadded length of each sequence. */
  lengths: number[];
}

export class MixedTokenizer {
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly lowercase: boolean;
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly unkZhId: number;
  /** Number of English word ids (they follow the specials). */
  readonly enSize: number;
  private readonly tokens: string[];
  private readonly enIds = new Map<string, number>();
  private readonly zhIds = new Map<string, number>();
  private readonly json: TokenizerJSON;

  private constructor(json: TokenizerJSON) {
    this.json = json;
    this.lowercase = json.lowercase;
    this.maxLength = json.maxLength;
    this.tokens = [...json.specials, ...json.en, ...json.zh];
    this.vocabSize = this.tokens.length;
    this.enSize = json.en.length;
    const special = (name: string): number => json.specials.indexOf(name);
    [this.padId, this.unkId, this.clsId, this.sepId, this.unkZhId] = SPECIALS.map(special);
    json.en.forEach((w, i) => this.enIds.set(w, json.specials.length + i));
    json.zh.forEach((c, i) => this.zhIds.set(c, json.specials.length + json.en.length + i));
  }

  static fromJSON(obj: unknown): MixedTokenizer {
    const j = obj as Partial<TokenizerJSON> | null;
    const bad = (why: string): never => {
      throw new VlmError(`invalid tokenizer file: ${why}; rebuild it with scripts/extract-vocab.ts`);
    };
    if (!j || typeof j !== 'object') return bad('not a JSON object');
    if (j.type !== TOKENIZER_TYPE) bad(`type is ${JSON.stringify(j.type)}, expected "${TOKENIZER_TYPE}"`);
    if (j.version !== 1) bad(`unsupported version ${JSON.stringify(j.version)}`);
    if (!Array.isArray(j.specials) || !Array.isArray(j.en) || !Array.isArray(j.zh)) bad('specials, en and zh must be arrays');
    const specials = j.specials as string[];
    for (const s of SPECIALS) if (!specials.includes(s)) bad(`missing special token ${s}`);
    if (specials[0] !== '[PAD]') bad('[PAD] must be id 0');
    const maxLength = j.maxLength ?? 32;
    if (!Number.isInteger(maxLength) || maxLength < 2) bad('maxLength must be an integer >= 2');
    const all = [...specials, ...(j.en as string[]), ...(j.zh as string[])];
    if (new Set(all).size !== all.length) bad('duplicate tokens');
    return new MixedTokenizer({
      type: TOKENIZER_TYPE, version: 1, lowercase: j.lowercase ?? true, maxLength,
      specials, en: j.en as string[], zh: j.zh as string[],
    });
  }

  static fromFile(path: string): MixedTokenizer {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new VlmError(`cannot read tokenizer file ${path}: ${(e as Error).message}`, { cause: e });
    }
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new VlmError(`tokenizer file ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    return MixedTokenizer.fromJSON(obj);
  }

  toJSON(): TokenizerJSON {
    return this.json;
  }

  /** Tokens of a text without [CLS]/[SEP], each with the word it came from. */
  tokenizeDetailed(text: string): TokenPiece[] {
    if (typeof text !== 'string') throw new InputError('text must be a string');
    const norm = normalizeText(text, { lowercase: this.lowercase });
    if (norm === '') throw new InputError('empty text');
    const hasEn = (w: string): boolean => this.enIds.has(w);
    const out: TokenPiece[] = [];
    segment(norm).forEach((chunk, wordIndex) => {
      const push = (id: number): void => {
        out.push({ token: this.tokens[id], id, word: chunk.text, wordIndex });
      };
      switch (chunk.kind) {
        case 'cjk':
          push(this.zhIds.get(chunk.text) ?? this.unkZhId);
          break;
        case 'symbol':
          if (hasEn(chunk.text)) push(this.enIds.get(chunk.text)!);
          break;
        case 'pictograph':
          push(this.unkId);
          break;
        case 'word':
          for (const p of resolveWord(chunk.text, hasEn)) push(p === null ? this.unkId : this.enIds.get(p)!);
          break;
      }
    });
    return out;
  }

  /** Token strings of a text (no [CLS]/[SEP]); for debugging and explanations. */
  tokenize(text: string): string[] {
    return this.tokenizeDetailed(text).map((t) => t.token);
  }

  /** [CLS] tokens... [SEP], truncated to maxLength with [SEP] kept last; not padded. */
  encode(text: string, opts: { maxLength?: number } = {}): number[] {
    const maxLength = this.checkMaxLength(opts.maxLength);
    const body = this.tokenizeDetailed(text).slice(0, maxLength - 2).map((t) => t.id);
    return [this.clsId, ...body, this.sepId];
  }

  /**
   * Encode many texts padded to a common length L = the longest sequence (or `padTo` when larger,
   * for fixed shapes). Throws InputError if any text is empty.
   */
  encodeBatch(texts: string[], maxLength?: number, opts: { padTo?: number } = {}): TokenBatch {
    const seqs = texts.map((t) => this.encode(t, { maxLength }));
    const lengths = seqs.map((s) => s.length);
    const length = Math.max(0, opts.padTo ?? 0, ...lengths);
    const ids = new Int32Array(texts.length * length).fill(this.padId);
    const mask = new Float32Array(texts.length * length);
    seqs.forEach((s, i) => {
      ids.set(s, i * length);
      mask.fill(1, i * length, i * length + s.length);
    });
    return { ids, mask, length, lengths };
  }

  /** Readable text for ids: specials other than the unknowns are skipped, CJK characters are not spaced. */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    let prevZh = true;
    for (const id of Array.from(ids)) {
      const tok = this.idToToken(id);
      if (id === this.padId || id === this.clsId || id === this.sepId) continue;
      const zh = id >= this.json.specials.length + this.enSize || id === this.unkZhId;
      const attach = zh || prevZh || tok.startsWith("'") || tok === "n't";
      out += (attach ? '' : ' ') + tok;
      prevZh = zh;
    }
    return out;
  }

  idToToken(id: number): string {
    const tok = this.tokens[id];
    if (!Number.isInteger(id) || tok === undefined) throw new UsageError(`token id ${id} is out of range 0..${this.vocabSize - 1}`);
    return tok;
  }

  /** Id of a vocabulary entry (special, English word or CJK character), or undefined. */
  tokenToId(token: string): number | undefined {
    const special = this.json.specials.indexOf(token);
    if (special >= 0) return special;
    return this.enIds.get(token) ?? this.zhIds.get(token);
  }

  private checkMaxLength(maxLength: number | undefined): number {
    const m = maxLength ?? this.maxLength;
    if (!Number.isInteger(m) || m < 2) throw new UsageError(`maxLength must be an integer >= 2 (got ${m})`);
    return m;
  }
}
