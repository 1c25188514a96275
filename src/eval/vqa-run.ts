import type { Encoder } from '../encoders/encoder.js';
import { createAsker, type AskAnswer } from '../apps/ask/index.js';
import type { AskCalibration } from '../apps/ask/calibration.js';
import type { AskImage } from '../apps/ask/image-context.js';
import { progress } from '../util/progress.js';
import { embedImagesBatched } from './embed-batched.js';
import { buildCaptionVqa, type VqaQuestion } from './vqa-dataset.js';
import { renderTextSet } from './vqa-render.js';

export interface VqaEvalOptions {
  split?: 'dev' | 'test';
  seed?: number;
  /** yes (and no) questions per concept. */
  perConcept?: number;
  /** rendered OCR images. */
  ocrImages?: number;
  /** Keep only the first n questions of each type (quick checks). */
  limit?: number;
  calibration?: AskCalibration;
  quiet?: boolean;
}

interface TypeScore { n: number; correct: number; accuracy: number }

export interface VqaResult {
  task: 'vqa';
  dataset: string;
  split: string;
  seed: number;
  model: string;
  calibrated: boolean;
  yesno: { en: TypeScore & { yes_recall: number; no_recall: number }; zh: TypeScore & { yes_recall: number; no_recall: number }; concepts: number };
  count: { en: TypeScore & { mean_abs_error: number }; zh: TypeScore & { mean_abs_error: number }; by_truth: Record<string, { n: number; accuracy: number }> };
  ocr: { en: TypeScore & { exact_case_insensitive: number }; zh: TypeScore & { exact_case_insensitive: number } };
  /** Questions the router sent to another skill than the one its type needs (counted wrong). */
  misrouted: number;
  seconds: number;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
const score = (n: number, correct: number): TypeScore => ({ n, correct, accuracy: n ? correct / n : 0 });

/**
 * The VQA evaluation: yes/no and counting questions from held-out Flickr8k captions (buildCaptionVqa) and OCR on
 * text images we render, each asked in English and Chinese through the full `vlm ask` pipeline (router + skill).
 */
export async function evalVqa(encoder: Encoder, opts: VqaEvalOptions = {}): Promise<VqaResult> {
  const t0 = Date.now();
  const split = opts.split ?? 'test';
  const seed = opts.seed ?? 1;
  const { yesno: allYesno, count: allCount } = buildCaptionVqa({ split, seed, perConcept: opts.perConcept ?? 10 });
  const cap = <T>(xs: T[]) => (opts.limit ? xs.slice(0, opts.limit) : xs);
  // Keep EN/ZH pairs together under --limit: the set alternates en, zh per (image, concept).
  const yesno = cap(allYesno);
  const count = cap(allCount);
  const asker = createAsker(encoder, { calibration: opts.calibration });
  const paths = [...new Set([...yesno, ...count].map((q) => q.image))];
  const embs = await embedImagesBatched(encoder, paths, { label: `${split} images`, quiet: opts.quiet });
  const images = new Map<string, AskImage>(paths.map((p, i) => [p, asker.image(p, { embedding: embs[i] })]));
  let misrouted = 0;

  const bar = progress('vqa questions', yesno.length + count.length, { quiet: opts.quiet });
  const answers: { q: VqaQuestion; a: AskAnswer }[] = [];
  for (const q of [...yesno, ...count]) {
    const a = await asker.ask(images.get(q.image)!, q.question);
    if (a.skill !== (q.type === 'yesno' ? 'verify' : 'count')) misrouted++;
    answers.push({ q, a });
    bar.tick();
  }
  bar.stop();

  const yn = (lang: 'en' | 'zh') => {
    const rows = answers.filter(({ q }) => q.type === 'yesno' && q.lang === lang);
    const ok = (r: { q: VqaQuestion; a: AskAnswer }) => r.a.value === r.q.answer;
    const yes = rows.filter((r) => r.q.answer === true);
    const no = rows.filter((r) => r.q.answer === false);
    return { ...score(rows.length, rows.filter(ok).length), yes_recall: yes.filter(ok).length / Math.max(1, yes.length), no_recall: no.filter(ok).length / Math.max(1, no.length) };
  };
  const ct = (lang: 'en' | 'zh') => {
    const rows = answers.filter(({ q }) => q.type === 'count' && q.lang === lang);
    const err = rows.map((r) => Math.abs((typeof r.a.value === 'number' ? r.a.value : 0) - (r.q.answer as number)));
    return { ...score(rows.length, err.filter((e) => e === 0).length), mean_abs_error: err.reduce((s, e) => s + e, 0) / Math.max(1, err.length) };
  };
  const byTruth: Record<string, { n: number; accuracy: number }> = {};
  for (const t of [...new Set(count.filter((q) => q.lang === 'en').map((q) => q.answer as number))].sort((a, b) => a - b)) {
    const rows = answers.filter(({ q }) => q.type === 'count' && q.lang === 'en' && q.answer === t);
    byTruth[String(t)] = { n: rows.length, accuracy: rows.filter((r) => r.a.value === t).length / rows.length };
  }

  // OCR: text images rendered with a seed of their own, asked in both languages.
  const texts = await renderTextSet(opts.limit ? Math.min(opts.limit, opts.ocrImages ?? 100) : opts.ocrImages ?? 100, seed + 1000);
  const ocrQ: Record<'en' | 'zh', string> = { en: 'what does the sign say?', zh: '上面写着什么？' };
  const ocr = { en: { n: 0, correct: 0, ci: 0 }, zh: { n: 0, correct: 0, ci: 0 } };
  const obar = progress('vqa ocr', texts.length, { quiet: opts.quiet });
  for (const t of texts) {
    const img = asker.image(t.png);
    for (const lang of ['en', 'zh'] as const) {
      const a = await asker.ask(img, ocrQ[lang]);
      if (a.skill !== 'ocr') misrouted++;
      const got = typeof a.value === 'string' ? norm(a.value) : '';
      ocr[lang].n++;
      if (got === norm(t.text)) ocr[lang].correct++;
      if (got.toLowerCase() === norm(t.text).toLowerCase()) ocr[lang].ci++;
    }
    obar.tick();
  }
  obar.stop();
  await asker.dispose();

  const o = (lang: 'en' | 'zh') => ({ ...score(ocr[lang].n, ocr[lang].correct), exact_case_insensitive: ocr[lang].ci / Math.max(1, ocr[lang].n) });
  return {
    task: 'vqa',
    dataset: 'flickr8k captions (yes/no, counting) + rendered text (OCR)',
    split,
    seed,
    model: encoder.id,
    calibrated: asker.calibrated,
    yesno: { en: yn('en'), zh: yn('zh'), concepts: new Set(yesno.map((q) => q.concept)).size },
    count: { en: ct('en'), zh: ct('zh'), by_truth: byTruth },
    ocr: { en: o('en'), zh: o('zh') },
    misrouted,
    seconds: (Date.now() - t0) / 1000,
  };
}
