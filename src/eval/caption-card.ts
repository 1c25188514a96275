import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptionDecoderConfig } from '../model/caption-config.js';
import type { CardSection, EvalRecord } from './model-card.js';
import { loadEvalResults } from './model-card.js';
import type { CaptionScores } from './caption-metrics/index.js';
import { loadCaptionSplit } from '../train/caption-data.js';
import { datasetDir } from '../util/paths.js';
import { createRng, shuffleInPlace } from '../util/rng.js';

/** The seed of the model card's caption samples (12 Flickr8k test images drawn uniformly, not picked by hand). */
export const CAPTION_SAMPLE_SEED = 2026;
export const CAPTION_SAMPLE_COUNT = 12;

interface CaptionResultShape {
  n_images: number;
  beam: number;
  scores: CaptionScores;
  rerank?: { weight: number; consensus?: number; scores: CaptionScores; memory?: { k: number; weight: number; images: number } };
  captions: { image: string; text: string; reranked?: string }[];
}

const f3 = (x: number) => x.toFixed(3);
const esc = (s: string) => s.replace(/\|/g, '\\|');

function scoreRow(label: string, rec: EvalRecord, s: CaptionScores, beam: number): string {
  return `| ${label} | ${beam} | ${f3(s.bleu1)} | ${f3(s.bleu2)} | ${f3(s.bleu3)} | ${f3(s.bleu4)} | ${f3(s.rougeL)} | ${f3(s.ciderD)} | \`${rec.command}\` |`;
}

/**
 * The model card section for the caption decoder: test scores (from eval/caption-en.json and caption-zh.json)
 * and 12 random test images with generated and reference captions in both languages. None when the
 * model folder has no caption results yet.
 */
export function captionCardSections(modelDir: string): CardSection[] {
  const recs = loadEvalResults(modelDir);
  const en = recs.get('caption-en');
  const zh = recs.get('caption-zh');
  if (!en && !zh) return [];
  const rows: string[] = [];
  for (const [lang, rec] of [['English', en], ['Chinese (characters)', zh]] as const) {
    if (!rec) continue;
    const r = rec.result as unknown as CaptionResultShape;
    rows.push(scoreRow(`${lang}, beam`, rec, r.scores, r.beam));
    const mem = r.rerank?.memory ? `, memory ${r.rerank.memory.weight} with k = ${r.rerank.memory.k}` : '';
    if (r.rerank) rows.push(scoreRow(`${lang}, beam + re-rank (w = ${r.rerank.weight}${r.rerank.consensus ? `, consensus ${r.rerank.consensus}` : ''}${mem})`, rec, r.rerank.scores, r.beam));
  }
  let config: { decode?: CaptionDecoderConfig['decode']; training?: Record<string, unknown>; d_model?: number; layers?: number; heads?: number; vocab?: { en: string[]; zh: string[] }; detector?: { tokens: number } } = {};
  const cfgPath = join(modelDir, 'caption.json');
  if (existsSync(cfgPath)) config = JSON.parse(readFileSync(cfgPath, 'utf8'));
  const t = config.training ?? {};

  // Samples: the same 12 test images for both languages.
  const enCaps = new Map((en?.result as unknown as CaptionResultShape | undefined)?.captions.map((c) => [c.image, c]) ?? []);
  const zhCaps = new Map((zh?.result as unknown as CaptionResultShape | undefined)?.captions.map((c) => [c.image, c]) ?? []);
  const images = [...(enCaps.size ? enCaps.keys() : zhCaps.keys())];
  const picked = shuffleInPlace([...images], createRng(CAPTION_SAMPLE_SEED)).slice(0, CAPTION_SAMPLE_COUNT);
  const refs = datasetDir('flickr8k') ? loadCaptionSplit('test') : undefined;
  const refOf = (img: string, lang: 'en' | 'zh') => {
    const i = refs?.images.indexOf(img) ?? -1;
    return i >= 0 ? refs!.captions[lang][i] : [];
  };
  const samples = picked.map((img) => {
    const lines = [`**${img}**`, ''];
    const e = enCaps.get(img);
    const z = zhCaps.get(img);
    if (e) lines.push(`- generated (en): *${esc(e.text)}*${e.reranked && e.reranked !== e.text ? ` — re-ranked: *${esc(e.reranked)}*` : ''}`);
    if (z) lines.push(`- generated (zh): *${esc(z.text)}*${z.reranked && z.reranked !== z.text ? ` — re-ranked: *${esc(z.reranked)}*` : ''}`);
    const re = refOf(img, 'en');
    const rz = refOf(img, 'zh');
    if (re.length) lines.push(`- references (en): ${re.map(esc).join(' / ')}`);
    if (rz.length) lines.push(`- references (zh): ${rz.map(esc).join(' / ')}`);
    return lines.join('\n');
  });

  const m = config.decode?.memory;
  // the caption memory (caption_memory.json): consensus with the captions of the nearest Flickr8k train images
  const memoryText = m ? `; with the caption memory, the candidate's CIDEr-D against the captions of the image's ${m.k} nearest
Flickr8k train images (caption_memory.json, built by \`node dist/scripts/caption-memory.js\`)` : '';
  const det = config.detector ? ` and ${config.detector.tokens} tokens of CenterNet COCO class evidence (the 160-float detector row)` : '';
  const warm = typeof t.init_from === 'string' ? ` It was warm-started from the decoder in ${t.init_from}.` : '';
  const text = `A small Transformer decoder (${config.layers ?? '?'} layers, d_model ${config.d_model ?? '?'}, ${config.heads ?? '?'} heads) with
cross-attention over the frozen tower's 7x7 spatial map (mobilenet_v2_mid \`final_map\`)${det}, one decoder for both
languages (a start token <en> or <zh>; ${config.vocab?.en.length ?? '?'} English words + ${config.vocab?.zh.length ?? '?'} Chinese characters).
Trained by vlm in TypeScript on Flickr8k **train** captions (teacher forcing, label smoothing, AdamW, warmup + cosine);
the checkpoint was selected by greedy CIDEr-D on the first dev images (never test). Training: ${String(t.minutes ?? '?')} min,
${String(t.steps ?? '?')} steps (${String(t.epochs_run ?? '?')} passes over the train images per language), stop: ${String(t.stop ?? '?')}.${warm}
Weights: caption.json + caption.safetensors. Decoding: beam search with GNMT length normalisation and no repeated
trigrams; re-ranking adds the contrastive model's image-text score (and, with consensus, the candidate's agreement with
the rest of its beam${memoryText}), with weights chosen on dev. Chinese is scored on characters.

Flickr8k **test** (1,000 images, 5 references each; coco-caption definitions of BLEU, ROUGE-L and CIDEr-D):

| captions | beam | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | ROUGE-L | CIDEr-D | command |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Samples: ${picked.length} test images drawn uniformly at random (seed ${CAPTION_SAMPLE_SEED}, \`shuffleInPlace(testImages, createRng(${CAPTION_SAMPLE_SEED}))\`, first ${CAPTION_SAMPLE_COUNT}), not chosen by hand:

${samples.join('\n\n')}`;
  return [{ heading: 'Captions (English and Chinese)', text, results: [en, zh].filter((r): r is EvalRecord => !!r).map((r) => r.name) }];
}
