/**
 * The study behind a model's caption decoding defaults (caption.json "decode"), on the Flickr8k DEV split only:
 * for each beam width, every final beam is scored once, then each pick rule is applied to the same beams:
 *   decoder score (length-normalised log-probability)
 *   + w x logit_scale x cosine(image, caption)      (re-ranking by the contrastive model, --weights)
 *   + c x consensus with the rest of the beam        (mean smoothed sentence BLEU on token ids, minimum Bayes risk, --consensus)
 * --alphas re-scores the same beams with other length-penalty exponents (the decoder's own by default).
 * Also reported: the oracle (the beam's best candidate by its own CIDEr-D against the references), the headroom
 * any re-ranking has; and each rule's CIDEr-D on the two halves of the split, a check that a lead is not luck.
 *   node dist/scripts/caption-decode-study.js --model coco [--lang en] [--beams 8,16] [--weights 0,1,2] [--consensus 0,1,2] [--limit N] [--save]
 * --save records models/<model>/eval/caption-decode-dev-<lang>.json.
 * Two more re-ranking experiments (both measured on dev, neither shipped; docs/captions.md):
 *   --pool DIR     each beam also gets the candidates of another decoder's beam (e.g. a self-critical one), one pool
 *   --rerank2 DIR --weights2 0,1,2   a second contrastive model's cosine added at weight2 x its logit scale
 *   --ensemble DIR  beam search on the mean log-probabilities of both decoders
 * --decoder DIR studies another caption decoder (e.g. a training run's best/) with --model's contrastive model;
 * --record NAME saves under that name instead (models/<model>/eval/NAME.json).
 * --memory-k 10,15,25 --memory-weights 0,4,8   adds + q x consensus with the captions of the image's k nearest
 *   training images (the model folder's caption memory: node dist/scripts/caption-memory.js --model <model>).
 */
import { parseArgs } from 'node:util';
import { loadCaptioner } from '../src/apps/caption/captioner.js';
import { loadCaptionModel } from '../src/model/caption-model.js';
import { beamAgreement, rerankBest, rerankTerms } from '../src/apps/caption/rerank.js';
import { readCaptionMemory } from '../src/apps/caption/caption-memory.js';
import { loadEncoder } from '../src/encoders/load.js';
import { beamCosines, splitBeams } from '../src/eval/caption-eval.js';
import { lengthPenalty } from '../src/model/caption-beam.js';
import { ciderD, metricTokens, scoreCaptions } from '../src/eval/caption-metrics/index.js';
import { saveEvalResult } from '../src/eval/model-card.js';
import type { CaptionLang } from '../src/model/caption-vocab.js';
import { log } from '../src/util/log.js';
import { defaultModelDir, modelArg, resolveModelDir } from '../src/util/paths.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    lang: { type: 'string', default: 'en' },
    beams: { type: 'string', default: '8,16' },
    weights: { type: 'string', default: '0,0.5,1,2,4' },
    consensus: { type: 'string', default: '0,0.5,1,2,4,8' },
    alphas: { type: 'string' },
    limit: { type: 'string' },
    save: { type: 'boolean', default: false },
    pool: { type: 'string' },
    decoder: { type: 'string' },
    ensemble: { type: 'string' },
    record: { type: 'string' },
    rerank2: { type: 'string' },
    weights2: { type: 'string', default: '0' },
    'memory-k': { type: 'string', default: '15' },
    'memory-weights': { type: 'string', default: '0' },
  },
});
const nums = (s: string) => s.split(',').map(Number);
const modelDir = values.model ? resolveModelDir(values.model) : defaultModelDir;
const lang = values.lang as CaptionLang;
const limit = values.limit ? Number(values.limit) : undefined;
const cap = await loadCaptioner(values.decoder ? resolveModelDir(values.decoder) : modelDir);
// --ensemble DIR: beam search on the mean log-probabilities of this decoder and DIR's (same vocabulary and inputs)
const ensemble = values.ensemble ? [await loadCaptionModel(resolveModelDir(values.ensemble))] : undefined;
// --pool DIR: each image's beam also gets the candidates of another decoder folder's beam (same vocabulary), one pool re-ranked
const pool = values.pool ? await loadCaptioner(resolveModelDir(values.pool)) : undefined;
// --memory-weights other than 0: the model folder's caption memory (built for its encoder)
const memoryWeights = nums(values['memory-weights']!);
const memory = memoryWeights.some((q) => q !== 0) ? await loadEncoder(modelDir).then(async (enc) => {
  try {
    return readCaptionMemory(modelDir, enc.id);
  } finally {
    await enc.dispose();
  }
}) : undefined;
const r4 = (x: number) => +x.toFixed(4);
const studies = [];
// image embeddings are the same for every beam width: computed once
const embeddings: { images?: Float32Array[]; source?: string } = {};
const embeddings2: { images?: Float32Array[]; source?: string } = {};
for (const beam of nums(values.beams!)) {
  const t0 = Date.now();
  const sb = await splitBeams(cap, { split: 'dev', lang, beam, limit, ensemble });
  if (pool) {
    const other = await splitBeams(pool, { split: 'dev', lang, beam, limit });
    sb.beams = sb.beams.map((bs, i) => {
      const seen = new Set(bs.map((h) => h.text));
      return [...bs, ...other.beams[i].filter((h) => !seen.has(h.text))];
    });
  }
  const { cos, scale, images } = await beamCosines(modelDir, sb, lang, embeddings);
  const memoryKs = memory ? nums(values['memory-k']!) : [0];
  const memScores = new Map(memoryKs.map((k) => [k, memory ? sb.beams.map((bs, i) => memory.consensus(bs.map((h) => h.text), images[i], lang, k)) : undefined]));
  // --rerank2 DIR: a second contrastive model's cosines, added at --weights2 x its logit scale
  const second = values.rerank2 ? await beamCosines(resolveModelDir(values.rerank2), sb, lang, embeddings2) : undefined;
  const agree = sb.beams.map(beamAgreement);
  const refs = sb.refs.map((rs) => rs.map((r) => metricTokens(r, lang)));
  // Oracle: per image, the candidate with the best CIDEr-D (IDF comes from the references only, so a candidate's
  // per-image score does not depend on the other images' picks).
  const K = Math.max(...sb.beams.map((b) => b.length));
  const perCand = Array.from({ length: K }, (_, k) => ciderD(sb.beams.map((bs) => metricTokens((bs[k] ?? bs[0]).text, lang)), refs).perImage);
  const oracle = sb.beams.reduce((s, _, i) => s + Math.max(...perCand.map((p) => p[i])), 0) / sb.beams.length;
  const half = Math.floor(sb.beams.length / 2);
  const rows = [];
  // The length penalty only orders finished candidates (the search expands by raw log-probability), so other
  // alphas are a re-scoring of the same beams.
  const baseAlpha = cap.model.config.decode?.length_alpha ?? 0.7;
  for (const alpha of values.alphas ? nums(values.alphas) : [baseAlpha]) {
    const rescored = sb.beams.map((bs) => bs.map((h) => ({ ...h, score: h.logp / lengthPenalty(h.ids.length + 1, alpha) })));
    for (const w of nums(values.weights!)) {
      for (const c of nums(values.consensus!)) for (const w2 of nums(values.weights2!)) for (const mk of memoryKs) for (const q of memory ? memoryWeights : [0]) {
        if (q === 0 && mk !== memoryKs[0]) continue; // without the memory, k changes nothing
        // The contrastive term of each candidate, weighted: w x scale x cosine (+ the second model's, likewise; + the memory's consensus).
        const ms = memScores.get(mk);
        const term = cos.map((cs, i) => rerankTerms(cs, scale, w, ms ? { scores: ms[i], weight: q } : undefined).map((x, k) => x + (second ? w2 * second.scale * second.cos[i][k] : 0)));
        const picks = rescored.map((bs, i) => bs[rerankBest(bs, term[i], c, agree[i])]?.text ?? '');
        const sc = scoreCaptions(picks, sb.refs, lang);
        const part = (a: number, b: number) => r4(scoreCaptions(picks.slice(a, b), sb.refs.slice(a, b), lang).ciderD);
        rows.push({ length_alpha: alpha, weight: w, consensus: c, ...(second ? { weight2: w2 } : {}), ...(memory ? { memory_k: mk, memory_weight: q } : {}), bleu4: r4(sc.bleu4), ciderD: r4(sc.ciderD), rougeL: r4(sc.rougeL), first_half: part(0, half), second_half: part(half, picks.length) });
      }
    }
  }
  rows.sort((a, b) => b.ciderD - a.ciderD);
  log(`beam ${beam}: oracle CIDEr-D ${oracle.toFixed(3)}; best ${JSON.stringify(rows[0])} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  studies.push({ beam, n_images: sb.beams.length, oracle_ciderD: r4(oracle), features: sb.features, rules: rows });
}
await cap.dispose();
await pool?.dispose();
ensemble?.forEach((m) => m.dispose());
const result = { task: 'caption-decode-study', dataset: 'flickr8k', split: 'dev', lang, ...(values.decoder ? { decoder: values.decoder } : {}), ...(values.ensemble ? { ensemble: values.ensemble } : {}), ...(values.pool ? { pool: values.pool } : {}), ...(values.rerank2 ? { rerank2: values.rerank2 } : {}), ...(memory ? { memory: { images: memory.size, source: memory.data.source } } : {}), studies };
console.log(JSON.stringify(result));
if (values.save) {
  const cmd = `node dist/scripts/caption-decode-study.js --model ${modelArg(modelDir)} --lang ${lang} --beams ${values.beams} --weights ${values.weights} --consensus ${values.consensus}${values.alphas ? ` --alphas ${values.alphas}` : ''}${values.decoder ? ` --decoder ${values.decoder}` : ''}${values.ensemble ? ` --ensemble ${values.ensemble}` : ''}${values.pool ? ` --pool ${values.pool}` : ''}${values.rerank2 ? ` --rerank2 ${values.rerank2} --weights2 ${values.weights2}` : ''}${memory ? ` --memory-k ${values['memory-k']} --memory-weights ${values['memory-weights']}` : ''}${limit ? ` --limit ${limit}` : ''}${values.record ? ` --record ${values.record}` : ''} --save`;
  saveEvalResult(modelDir, values.record ?? `caption-decode-dev-${lang}`, result, cmd);
}
