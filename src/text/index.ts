/** Text input layer: normalisation, language detection and the mixed English/Chinese tokenizer. */
export { normalizeText, type NormalizeOptions } from './normalize.js';
export { detectLang, isCjk, type Lang } from './lang.js';
export { segment, isSingleUnit, KEPT_SYMBOLS, type Chunk, type ChunkKind } from './segment.js';
export { resolveWord, backoffCandidates, type Has, type Piece } from './resolve-word.js';
export {
  MixedTokenizer, SPECIALS, TOKENIZER_TYPE,
  type TokenizerJSON, type TokenPiece, type TokenBatch,
} from './tokenizer.js';
