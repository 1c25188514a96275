/**
 * Texts -> input_ids / attention_mask / token_type_ids with the checkpoint's own tokenizer.json
 * (@huggingface/tokenizers, the tokenizer engine of transformers.js) and each family's padding:
 *  - CLIP: at most 77 tokens, pad to the longest in the batch (the graph pools at EOS behind a causal mask, so padding is inert);
 *  - SigLIP: always pad to 64 ('max_length'): it was trained that way, has no mask and pools the last position;
 *  - Chinese-CLIP: BERT WordPiece, at most 52 tokens, pad to the longest with an attention mask.
 * Truncation keeps the trailing special token (EOS / [SEP]) as HF's tokenizers do.
 * SigLIP texts are first canonicalised as Python's SiglipTokenizer does (lower case, ASCII punctuation
 * removed, spaces collapsed): its tokenizer.json cannot express that, and transformers.js skips it.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { VlmError } from '../../util/errors.js';
import type { ModelLayout, ModelType } from './layout.js';

export interface TextBatch {
  batch: number;
  length: number;
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
}

export interface TextPolicy {
  maxLength: number;
  padding: 'longest' | 'max_length';
  padId: number;
}

const DEFAULT_MAX: Record<ModelType, number> = { clip: 77, siglip: 64, chinese_clip: 52 };

/** A special token as tokenizer_config.json writes it: a string or an AddedToken object. */
function tokenName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

export class TextTokenizer {
  readonly policy: TextPolicy;
  private readonly tokenizer: Tokenizer;
  private readonly specialIds: Set<number>;
  private readonly canonicalize: (text: string) => string;

  constructor(layout: ModelLayout) {
    try {
      this.tokenizer = new Tokenizer(layout.tokenizerJson, layout.tokenizerConfig);
    } catch (err) {
      throw new VlmError(`${layout.dir}/tokenizer.json could not be loaded (${(err as Error).message})`, { cause: err });
    }
    this.specialIds = new Set([...this.tokenizer.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));
    this.policy = textPolicy(layout, (t) => this.tokenizer.token_to_id(t));
    this.canonicalize = layout.modelType === 'siglip' ? siglipCanonical(layout.tokenizerConfig.do_lower_case !== false) : (t) => t;
  }

  /** Token ids of one text with special tokens, truncated to the policy's maximum. */
  ids(text: string): number[] {
    const ids = this.tokenizer.encode(this.canonicalize(text)).ids;
    const max = this.policy.maxLength;
    if (ids.length <= max) return ids;
    let tail = 0;
    while (tail < ids.length && tail < max - 1 && this.specialIds.has(ids[ids.length - 1 - tail])) tail++;
    return [...ids.slice(0, max - tail), ...ids.slice(ids.length - tail)];
  }

  encode(texts: string[]): TextBatch {
    const rows = texts.map((t) => this.ids(t));
    const { padding, maxLength, padId } = this.policy;
    const length = padding === 'max_length' ? maxLength : Math.max(1, ...rows.map((r) => r.length));
    const inputIds: number[] = [], attentionMask: number[] = [];
    for (const r of rows) {
      for (let i = 0; i < length; i++) {
        inputIds.push(i < r.length ? r[i] : padId);
        attentionMask.push(i < r.length ? 1 : 0);
      }
    }
    return { batch: texts.length, length, inputIds, attentionMask, tokenTypeIds: new Array<number>(inputIds.length).fill(0) };
  }
}

/** transformers' SiglipTokenizer: optional lower-casing, then canonicalize_text (Python's string.punctuation removed, whitespace collapsed). */
function siglipCanonical(lower: boolean): (text: string) => string {
  return (text) => (lower ? text.toLowerCase() : text).replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '').replace(/\s+/g, ' ').trim();
}

function textPolicy(layout: ModelLayout, idOf: (token: string) => number | undefined): TextPolicy {
  const { modelType, tokenizerConfig: tc, config } = layout;
  const textConfig = (config.text_config ?? {}) as Record<string, unknown>;
  const limits = [DEFAULT_MAX[modelType], num(tc.model_max_length), num(textConfig.max_position_embeddings)];
  // SigLIP's own length (64) comes from its tokenizer config, so it is not capped by our default.
  const maxLength =
    modelType === 'siglip'
      ? Math.min(num(tc.model_max_length) ?? DEFAULT_MAX.siglip, num(textConfig.max_position_embeddings) ?? Infinity)
      : Math.min(...limits.filter((x): x is number => x !== undefined));
  const candidates = [tokenName(tc.pad_token), modelType === 'chinese_clip' ? '[PAD]' : undefined, tokenName(tc.eos_token)];
  let padId: number | undefined;
  for (const c of candidates) if (padId === undefined && c !== undefined) padId = idOf(c);
  padId ??= typeof textConfig.pad_token_id === 'number' ? textConfig.pad_token_id : typeof config.pad_token_id === 'number' ? config.pad_token_id : undefined;
  if (padId === undefined) throw new VlmError(`${layout.dir}: cannot tell the padding token (set pad_token in tokenizer_config.json)`);
  return { maxLength, padding: modelType === 'siglip' ? 'max_length' : 'longest', padId };
}
