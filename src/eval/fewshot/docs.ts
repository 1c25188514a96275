import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEvalResults, type EvalRecord } from '../model-card.js';
import type { FewShotResult } from '../run-fewshot.js';
import { defaultModelDir, repoRoot } from '../../util/paths.js';
import { methodName } from './charts.js';
import type { CaseRetrievalResult } from './medpix-cases.js';
import { accuracyAt, accuracyTable, casesTable, check, confusionsTable, recordLine, table } from './report.js';

/**
 * docs/traffic-signs.md and docs/medical.md, rendered from the recorded results in models/default/eval/ only
 * (every number comes with the command that measured it). Regenerate after new runs with
 *   node -e "import('./dist/src/eval/fewshot/docs.js').then((m) => m.writeFewShotDocs())"
 */

const pct = (x: number) => (100 * x).toFixed(1);

function fewshot(have: Map<string, EvalRecord>, name: string): { rec: EvalRecord; r: FewShotResult } | null {
  const rec = have.get(name);
  return rec ? { rec, r: rec.result as unknown as FewShotResult } : null;
}

function best(r: FewShotResult, shots: number): { method: string; mean: number; std: number } {
  const [method, a] = r.methods
    .map((m) => [m, accuracyAt(r, m, shots) ?? { mean: -1, std: 0 }] as const)
    .reduce((x, y) => (y[1].mean > x[1].mean ? y : x));
  return { method: methodName(method), mean: a.mean, std: a.std };
}

function curveSection(title: string, x: { rec: EvalRecord; r: FewShotResult }, img?: string): string {
  const r = x.r;
  return [
    `### ${title}`,
    '',
    `${r.n_test} test images, ${r.labels.length} classes (chance ${pct(r.chance)}%); support sets drawn from TRAIN, ${r.seeds} seed(s); ` +
      `few-shot methods fit on \`${r.features}\`; zero-shot uses the model's embedding and a ${r.templates.length}-template prompt ensemble. ` +
      'Test accuracy in %, mean ± std over seeds (a shot count that takes every training image is one run, std 0).',
    '',
    accuracyTable(r),
    '',
    img ? `![accuracy vs shots](img/${img})\n` : '',
    `Reproduce: ${recordLine(x.rec)}`,
    '',
  ].join('\n');
}

function speedPairs(r: FewShotResult): number {
  return r.top_confusions.slice(0, 12).filter((c) => c.true.startsWith('speed limit') && c.predicted.startsWith('speed limit')).length;
}

/** The GTSRB run the doc reports, and the earlier run on block-13 GAP features (kept for the methods not rerun). */
const GTSRB_RECORD = 'fewshot-gtsrb-en-tower-128-b6_g3';
const GTSRB_EARLIER = 'fewshot-gtsrb-en-tower-b13_gap';

/** The features docs/traffic-signs.md recommends; its row of the validation study is marked. */
const GTSRB_CHOSEN = 'tower@128:b6_g3';

interface FeatureStudy {
  support: number;
  validation: number;
  draws: number;
  rows: { features: string; side: number; ridge: { shots16: { mean: number; std: number }; all: number } }[];
}

/** The validation study (scripts/gtsrb-feature-study.ts) as a table, or what to run when it is not recorded. */
function featureStudy(have: Map<string, EvalRecord>): string[] {
  const rec = have.get('gtsrb-feature-study');
  if (!rec) return ['(not measured yet: `node dist/scripts/gtsrb-feature-study.js --save`)'];
  const st = rec.result as unknown as FeatureStudy;
  const mark = (f: string, text: string) => (f === GTSRB_CHOSEN ? `**${text}**` : text);
  return [
    `Validation split: per class every fourth track of TRAIN held out whole (${st.support} support candidates,`,
    `${st.validation} validation images); ridge probe; 16-shot is the mean ± std of ${st.draws} support draws.`,
    '',
    table(['features', 'input side', '16-shot', 'all support candidates'], st.rows.map((r) => [
      mark(r.features, `\`--features ${r.features}\``), mark(r.features, String(r.side)),
      mark(r.features, `${pct(r.ridge.shots16.mean)} ± ${pct(r.ridge.shots16.std)}`), mark(r.features, pct(r.ridge.all)),
    ])),
    '',
    `\`${rec.command}\` (measured ${rec.measured_at.slice(0, 10)}, results in \`models/default/eval/${rec.name}.json\`)`,
  ];
}

export function trafficSignsDoc(have: Map<string, EvalRecord>): string {
  const g = fewshot(have, GTSRB_RECORD) ?? fewshot(have, GTSRB_EARLIER);
  const earlier = g?.rec.name === GTSRB_EARLIER ? null : fewshot(have, GTSRB_EARLIER);
  const zs = ['en', 'zh'].map((l) => have.get(`zeroshot-gtsrb-test-${l}-limit1000`)).filter((x): x is EvalRecord => !!x);
  const out: string[] = [
    '# Traffic signs (GTSRB): zero-shot and few-shot',
    '',
    'The driving application: recognise the 43 German traffic-sign classes from their names alone (zero-shot) or from a',
    'few labelled crops per class (few-shot adapters, `vlm fewshot train`). Data: ../shared/data/gtsrb (35x35 crops;',
    '40 training images per class; 3,975 test images). Everything here is generated from `models/default/eval/*.json`',
    'by `src/eval/fewshot/docs.ts`; each number comes with the command that measured it.',
    '',
    '## Zero-shot (English and Chinese prompts)',
    '',
  ];
  if (zs.length) {
    out.push(table(['prompts', 'accuracy (%)', 'top-5 (%)', 'chance (%)', 'test images', 'command'], zs.map((z) => {
      const r = z.result as { lang: string; accuracy: number; top5: number; chance: number; n: number };
      return [r.lang, pct(r.accuracy), pct(r.top5), pct(r.chance), String(r.n), `\`${z.command}\``];
    })), '');
  }
  if (g?.r.zero_shot) out.push(`On the whole test split (English prompts, traffic template set) zero-shot is ${pct(g.r.zero_shot.accuracy)}% (the 0-shot row below).`, '');
  out.push(
    'Zero-shot is at chance: the model was trained on Flickr8k photo captions, which almost never name a sign, and the',
    '256-d shared space keeps little of what tells one red-rimmed circle from another. Examples are what help here.',
    '',
    '## Few-shot',
    '',
    'Methods: ridge probe (least squares to ±1 class targets, solved in the dual; penalty by 4-fold cross-validation on',
    'the support set), linear probe (multinomial logistic regression; L2 strength by 4-fold cross-validation, one-standard-error',
    'rule), Tip-Adapter (training-free key-value cache; alpha and beta by leave-one-out on the support set), Tip-Adapter-F',
    '(cache keys fine-tuned; steps chosen on a held-out quarter of the support set) and the nearest class prototype.',
    'No hyperparameter ever sees the test split.',
    '',
    '**Which features.** The few-shot methods fit on the frozen image tower, not on the 256-d text-aligned embedding (the',
    'projection head was trained to match captions and discards what captions never mention). The chosen features,',
    '`--features tower@128:b6_g3`: the 35x35 crop squashed to 128x128 (not the tower\'s 224), MobileNetV2Mid\'s block-6',
    'expansion (288 channels on a 16x16 grid) average-pooled over a 3x3 grid of cells (2,592-d), square-rooted, each cell',
    'L2-normalised, centred on the mean of the unlabelled training pool, L2-normalised. The grid keeps *where* things are',
    '(the digits of a speed limit, the direction of an arrow) that global pooling averages away; the earlier block sees',
    'strokes and edges rather than the objects the nsfw fine-tuning cared about; the smaller input makes a block-6 cell',
    'cover more of the sign. Chosen on a validation split carved from TRAIN (the test split was not used to choose),',
    'accuracy in %:',
    '',
    ...featureStudy(have),
    '',
  );
  if (g) {
    out.push(curveSection('Accuracy against shots per class', g, 'fewshot-gtsrb.svg'));
    const b16 = best(g.r, 16);
    const b40 = g.r.shots.includes(40) ? best(g.r, 40) : null;
    const at4 = g.r.methods.map((m) => ({ m, a: accuracyAt(g.r, m, 4)?.mean ?? -1 }));
    const zsAcc = g.r.zero_shot?.accuracy ?? 0;
    out.push(
      '### Acceptance',
      '',
      check(b16.mean >= 0.45, `best 16-shot method ≥ 45%: ${b16.method} ${pct(b16.mean)} ± ${pct(b16.std)}%`),
      b40 ? check(b40.mean >= 0.6, `40-shot (the whole shared train folder) best method ≥ 60%: ${b40.method} ${pct(b40.mean)}%`) : '- 40-shot: not measured',
      check(at4.every((x) => x.a > zsAcc), `at 4 shots every few-shot method beats zero-shot (${pct(zsAcc)}%): ${at4.map((x) => `${methodName(x.m)} ${pct(x.a)}%`).join(', ')}`),
      '',
    );
  }
  if (earlier) {
    const missing = earlier.r.methods.filter((m) => !g?.r.methods.includes(m));
    out.push(
      curveSection('Earlier features: block-13 GAP (`tower:b13_gap`), all original methods', earlier),
      missing.length
        ? `${missing.map(methodName).join(' and ').replace(/^./, (c) => c.toUpperCase())} were not rerun on \`${g?.r.features}\`: on this machine's shared CPU their cross-validation ` +
          'and fine-tuning take most of an hour per run; their block-13 numbers above are the latest measured.\n'
        : '',
    );
  }
  out.push(
    '**What was tried.** Kept: the tower instead of the embedding, grid pooling, an earlier block, a smaller input side and the',
    'ridge probe (validation table above). Not adopted: concatenating taps of several blocks (no better than block 6',
    'alone at 128 px on validation); horizontal flips (a mirrored "keep left" is a "keep right"). Not measured for lack of',
    'time: support-set augmentation by small shifts and scale jitter, test-time augmentation, InceptionV3 taps.',
    '',
  );
  if (g?.r.confusion && g.r.shots.includes(40)) {
    out.push(
      `## 40-shot: confusion matrix and top confusions (${methodName(g.r.confusion.method)})`,
      '',
      `Rows are the true sign, columns the prediction, on all ${g.r.n_test} test images with the whole train folder as the support set.`,
      '',
      '![confusion matrix, 40-shot](img/confusion-gtsrb-40shot.png)',
      '',
      confusionsTable(g.r, 12),
      '',
      `${speedPairs(g.r)} of the ${Math.min(12, g.r.top_confusions.length)} largest confusions are one speed limit taken for another: the signs`,
      'differ only in their digits, a few pixels of a 35x35 crop.',
      '',
    );
  }
  const spec = g?.r.features ?? 'tower@128:b6_g3';
  out.push(
    '## Use it',
    '',
    '```sh',
    '# a few-shot classifier from a folder of examples (GTSRB\'s train folder: one sub-folder per class id),',
    '# on the same features and with the same method the tables above measure',
    `vlm fewshot train ../shared/data/gtsrb/train --method ridge --features ${spec} --out gtsrb-ridge.json`,
    'vlm classify sign.png --adapter gtsrb-ridge.json --top 3',
    '```',
    '',
    `The adapter records the model, the features (\`${spec}\`) and the centre of its training rows; \`vlm classify --adapter\``,
    'computes the same features for each image. Used with another model, or a model whose tower differs, it is an error (exit 2).',
    'Without `--features` an adapter fits on the model\'s embedding, which any Encoder (also a pretrained CLIP folder) provides.',
    '',
  );
  return out.join('\n');
}

export function medicalDoc(have: Map<string, EvalRecord>): string {
  const out: string[] = [
    '# Medical imaging (MedPix): modality, plane, body location and similar cases',
    '',
    '> **Research and teaching use only. Not a diagnosis.** These classifiers and the case search have not been validated',
    '> clinically, are trained on 1,653 teaching images, and must not guide the care of any patient.',
    '',
    'Data: ../shared/data/medpix (MedPix 2.0, CT and MRI teaching images, split by case: 1,653 train, 200 test images).',
    'Support sets are drawn from TRAIN, scores are on TEST; the few-shot methods fit on the frozen tower\'s block-13',
    'features (`--features tower:b13_gap`; the tap was compared on a validation split carved from TRAIN by case, where it',
    'was best for modality, plane and location alike). Methods as in [traffic signs](traffic-signs.md), including the ridge',
    'probe. Generated from `models/default/eval/*.json` by `src/eval/fewshot/docs.ts`.',
    'Since this round, features wider than the support set is long are fitted in the support rows\' span: the same model for',
    'the logistic probe, slightly different Adam steps for Tip-Adapter-F (16-shot plane: 78.4% here, 76.6% in the previous run).',
    '',
  ];
  const tasks: [string, string][] = [['modality', 'Modality (CT vs MRI)'], ['plane', 'Plane (axial, coronal, sagittal)'], ['location', 'Body location (5 regions)']];
  const summary: string[][] = [];
  for (const [task, title] of tasks) {
    const x = fewshot(have, `fewshot-medpix-${task}-en-tower-b13_gap`);
    if (!x) {
      out.push(`### ${title}`, '', 'Not measured yet.', '');
      continue;
    }
    out.push(curveSection(title, x, `fewshot-medpix-${task}.svg`));
    const b16 = best(x.r, 16);
    const emb = fewshot(have, `fewshot-medpix-${task}-en`);
    if (emb) {
      const e16 = best(emb.r, 16);
      out.push(`The same methods on the model's 256-d embedding instead of the tower features: best 16-shot ${e16.method} ${pct(e16.mean)} ± ${pct(e16.std)}% (\`${emb.rec.command}\`).`, '');
    }
    if (task === 'plane') {
      const mpc = (m: string) => x.r.curves[m as 'probe']?.find((p) => p.shots === 16)?.mean_per_class.mean ?? NaN;
      out.push(
        `Most test images are axial, so a classifier that mostly answers "axial" scores well: zero-shot mean per-class accuracy is ${pct(x.r.zero_shot?.mean_per_class ?? NaN)}%`,
        `against ${x.r.methods.map((m) => `${methodName(m)} ${pct(mpc(m))}%`).join(', ')} at 16 shots (balanced support sets).`,
        '',
      );
    }
    summary.push([title, pct(x.r.zero_shot?.accuracy ?? NaN), `${b16.method} ${pct(b16.mean)} ± ${pct(b16.std)}`, pct(x.r.chance)]);
    if (task === 'modality') {
      out.push(
        check(b16.mean >= 0.9, `modality accuracy ≥ 90% at 16 shots: ${b16.method} ${pct(b16.mean)} ± ${pct(b16.std)}%`),
        '',
        'Zero-shot modality is below chance: the Flickr8k-trained text side has never seen "CT" or "MRI". What was tried, on',
        'MedPix\'s own dev split (197 images of other cases; support sets from TRAIN, 5 draws; not on test): on block-13 GAP',
        'features at 16 shots the ridge probe (added this round) scored 89.8 ± 2.2% against 86.4 ± 1.5% for the class prototype',
        'and 85.4 ± 2.4% for Tip-Adapter; with block 16, the final block or block 13 + final the ridge probe scored 85.6-86.7%',
        'and the prototype 80.7-85.3%. Features averaged over each image and its mirror gave the ridge probe 90.5 ± 2.9%, within the spread of the',
        'draws, so not adopted. Not measured for MedPix for lack of time: the grid-pooled and earlier-block taps and the input',
        'sizes that helped on traffic signs.',
        '',
      );
    }
  }
  if (summary.length) out.splice(13, 0, '## Summary', '', table(['task', 'zero-shot (%)', 'best 16-shot (%)', 'chance (%)'], summary), '');
  const cases = have.get('cases-medpix');
  out.push('## Case retrieval', '');
  if (cases) {
    const r = cases.result as unknown as CaseRetrievalResult;
    out.push(
      `Given a test image, or a test caption as a text description, return the ${r.k} most similar TRAIN cases with their captions;`,
      `precision@${r.k} = the share of those whose body location (5 regions) / modality matches the query's. ${r.n_queries} test queries against`,
      `${r.n_train_cases} train cases; retrieval uses the model's shared embedding (images and texts in one space).`,
      '',
      casesTable(r),
      '',
      `Reproduce: \`${cases.command}\` (measured ${cases.measured_at.slice(0, 10)}).`,
      '',
      '```sh',
      'vlm fewshot cases scan.jpg --k 5            # similar training cases for an image, with captions',
      'vlm fewshot cases --text "axial CT of the chest with a lung nodule" --k 5',
      '```',
      '',
    );
  } else out.push('Not measured yet.', '');
  return out.join('\n');
}

export function writeFewShotDocs(modelDir = defaultModelDir): string[] {
  const have = loadEvalResults(modelDir);
  const written: string[] = [];
  const docs: [string, string][] = [['traffic-signs.md', trafficSignsDoc(have)], ['medical.md', medicalDoc(have)]];
  for (const [file, text] of docs) {
    const path = join(repoRoot, 'docs', file);
    if (!existsSync(join(repoRoot, 'docs'))) continue;
    writeFileSync(path, text);
    written.push(path);
  }
  return written;
}
