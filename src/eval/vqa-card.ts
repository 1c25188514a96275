import { readCalibration } from '../apps/ask/calibration.js';
import type { CardSection, EvalRecord } from './model-card.js';
import type { VqaResult } from './vqa-run.js';

const pct = (x: number | undefined) => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '–');

/**
 * The model card's "Visual question answering" section, rendered from eval/vqa.json (`vlm eval vqa --save`).
 * Empty when the evaluation has not been run, so the card still builds.
 */
export function vqaCardSections(have: Map<string, EvalRecord>): CardSection[] {
  const rec = have.get('vqa');
  if (!rec) return [];
  const r = rec.result as unknown as VqaResult;
  const row = (type: string, en: { n: number; accuracy: number }, zh: { n: number; accuracy: number }, extra: string) =>
    `| ${type} | ${pct(en.accuracy)} (n=${en.n}) | ${pct(zh.accuracy)} (n=${zh.n}) | ${extra} |`;
  const table = [
    '| question type | English | Chinese | notes |',
    '| --- | --- | --- | --- |',
    row('yes/no (verify)', r.yesno.en, r.yesno.zh, `balanced yes/no over ${r.yesno.concepts} objects; EN yes recall ${pct(r.yesno.en.yes_recall)}, no recall ${pct(r.yesno.en.no_recall)}`),
    row('counting (detector)', r.count.en, r.count.zh, `mean absolute error EN ${r.count.en.mean_abs_error.toFixed(2)}`),
    row('reading text (OCR, exact match)', r.ocr.en, r.ocr.zh, `case-insensitive EN ${pct(r.ocr.en.exact_case_insensitive)}`),
  ].join('\n');
  const cal = readCalibration();
  const dev = cal?.dev as { yesno?: Record<string, { n: number; accuracy: number }> } | undefined;
  const devLine = cal && dev?.yesno
    ? `\n\nOn the dev questions it was fitted on (for comparison, not held out): yes/no ${Object.entries(dev.yesno).map(([k, v]) => `${k.replace('_', ' ')} ${pct(v.accuracy)} (n=${v.n})`).join(', ')}; counting ${pct(cal.count.devAccuracy)} (n=${cal.count.n}) at detector score thresholds ${Object.entries(cal.count.perClass ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}, others ${cal.count.minScore}.`
    : '';
  return [{
    heading: 'Visual question answering (`vlm ask`)',
    text: `\`vlm ask\` routes a question (English or Chinese, by rules) to one skill: the caption decoder ("what is in the
image?"), verification ("is there a dog?": the contrastive model's image-text score as a z-score against dev photos,
combined with the COCO detector bundled in @vladmandic/human for COCO objects), counting (that detector, per-class NMS)
or reading text (tesseract.js, English, offline). Thresholds were fitted on Flickr8k **dev** only
(src/apps/ask/calibration.json). The questions below come from held-out data: yes/no and counts from Flickr8k **test**
captions (an object is "yes" when at least 2 of 5 captions mention it, "no" when none does; counts where captions
agree on a number word), OCR on text images rendered by us (seeded). Every question is asked in both languages.
Seed ${r.seed}; ${r.calibrated ? 'dev-calibrated' : 'UNCALIBRATED'}; reproduce with \`${rec.command}\`.

${table}${devLine}`,
    results: ['vqa'],
  }];
}
