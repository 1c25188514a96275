/**
 * The model card's explainability, safety and limitations sections, written from measured results only
 * (eval/*.json): the language gap, domains where zero-shot is near chance (and what the model predicts
 * instead), failure examples, what the heatmaps are worth, and what the safety classifier can and cannot do.
 * A missing measurement is said to be missing, never filled in.
 */
import type { CardSection, EvalRecord } from './model-card.js';

type Row = Record<string, unknown>;
const get = (r: Row | undefined, path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Row)[k] : undefined), r);
const n = (x: unknown, d = 1) => (typeof x === 'number' ? x.toFixed(d) : '–');
const pct = (x: unknown, d = 1) => (typeof x === 'number' ? (100 * x).toFixed(d) : '–');
const ci = (x: unknown, scale = 100, d = 1) => (Array.isArray(x) ? `[${x.map((v) => (Number(v) * scale).toFixed(d)).join(', ')}]` : '');
const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';
const table = (h: string[], rows: string[][]) => [`| ${h.join(' | ')} |`, `|${h.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function languageGap(have: Map<string, EvalRecord>): string {
  const en = have.get('retrieval-flickr8k-test-en')?.result;
  const rows = ['en', 'zh', 'zh-human'].flatMap((l) => {
    const r = have.get(`retrieval-flickr8k-test-${l}`)?.result;
    return r ? [[l, n(get(r, 't2i.r10')), n(get(r, 'i2t.r10')), l === 'en' || !en ? '' : `${n((get(r, 't2i.r10') as number) - (get(en, 't2i.r10') as number))} / ${n((get(r, 'i2t.r10') as number) - (get(en, 'i2t.r10') as number))}`]] : [];
  });
  if (!rows.length) return '- Language gap: not measured (no retrieval-flickr8k-test-*.json).';
  const zh = have.get('retrieval-flickr8k-test-zh')?.result;
  const ratio = en && zh ? ` Chinese text→image R@10 is ${pct((get(zh, 't2i.r10') as number) / (get(en, 't2i.r10') as number), 0)}% of the English figure.` : '';
  return `- **Language gap.** The same 1,000 Flickr8k test images, retrieved with English captions, native Chinese captions (zh) and
  human Chinese translations of the English ones (zh-human).${ratio} Native and translated Chinese captions score alike,
  which points at the Chinese text side (characters learned from Flickr8k alone, no pretrained Chinese vectors) rather
  than at the caption source:\n\n${table(['captions', 'T→I R@10 %', 'I→T R@10 %', 'vs en (points)'], rows)}\n`;
}

/** The label the model predicts most often, from a confusion matrix (rows: truth, columns: prediction). */
function collapse(r: Row): string | undefined {
  const m = r.confusion as number[][] | undefined, labels = r.labels as string[] | undefined;
  if (!Array.isArray(m) || !Array.isArray(labels)) return undefined;
  const cols = labels.map((_, j) => m.reduce((s, row) => s + (row[j] ?? 0), 0));
  const total = cols.reduce((a, b) => a + b, 0);
  const order = cols.map((c, j) => [c, j]).sort((a, b) => b[0] - a[0]).slice(0, 2);
  return order.map(([c, j]) => `"${labels[j]}" ${pct(c / total, 0)}%`).join(', ');
}

function zeroShot(have: Map<string, EvalRecord>): string {
  const rows = [...have.values()].filter((r) => r.result.task === 'zeroshot').map(({ result: r }) => [
    String(r.dataset), String(r.lang), pct(r.accuracy), pct(r.chance), collapse(r) ?? '–',
  ]);
  if (!rows.length) return '- Zero-shot on other domains: not measured.';
  return `- **Zero-shot is near chance away from Flickr8k-like photos.** Traffic signs (GTSRB, 35x35 crops) and clothing
  on black (Fashion-MNIST) are far from the training photos; the model does not read the sign or the garment and piles
  most predictions onto one or two labels (the failure mode, last column). Use few-shot adapters (\`vlm fewshot\`) there:\n\n${table(['data', 'lang', 'top-1 %', 'chance %', 'most predicted labels (share of all predictions)'], rows)}\n`;
}

function failures(have: Map<string, EvalRecord>): string {
  const ex = have.get('limitations-examples')?.result as Row | undefined;
  const out: string[] = [];
  const misses = get(ex, 'retrieval_misses') as { caption: string; rank: number; top1_caption: string }[] | undefined;
  if (misses?.length) {
    out.push(`- **Retrieval failures** (${String(get(ex, 'retrieval_pool'))}): the six captions whose own image ranked worst, and a caption of the image ranked first instead. In this pool, actions and relations between people (talking to, chasing, playing with) are where it slips most:\n\n` +
      table(['query caption', 'rank of its image', 'a caption of the top-1 image'], misses.map((m) => [m.caption, String(m.rank), m.top1_caption])) + '\n');
  }
  const probes = get(ex, 'probes') as { query: string; expected: string; top: string[]; rank: number }[] | undefined;
  if (probes?.length) {
    out.push(`- **Text queries over the ${String(get(ex, 'probe_pool'))}**: the photo a person would pick is ranked first for ${pct(get(ex, 'probe_top1'), 0)}% of
  the queries. Objects rare in Flickr8k (giraffe, rocket, circuit board) are missed; Chinese queries do worse than the same words in English:\n\n` +
      table(['query', 'expected photo', 'its rank', 'top 3'], probes.map((p) => [p.query, p.expected, String(p.rank), p.top.join(', ')])) + '\n');
  }
  if (ex) out.push(`  Reproduce: ${code(have.get('limitations-examples')!.command)}.`);
  return out.length ? out.join('\n') : '- Failure examples: not collected yet (run scripts/limitations-examples.ts).';
}

/** One sentence per measure, saying whether the interval clears the baseline (computed, never typed). */
function verdict(r: Row): string {
  const out: string[] = [];
  for (const m of ['dense', 'occlusion']) {
    const c = get(r, `curves.${m}`) as Row | undefined;
    const p = get(r, `pointing.${m}`) as Row | undefined;
    const above = (x: unknown) => (Array.isArray(x) && Number(x[0]) > 0 ? 'better than random' : Array.isArray(x) && Number(x[1]) < 0 ? 'worse than random' : 'not distinguishable from random');
    if (c) out.push(`${m}: deletion ${above(c.deletion_margin_ci95)}, insertion ${above(c.insertion_margin_ci95)} (${String(c.n)} pairs)`);
    if (p) out.push(`${m} pointing ${pct(p.accuracy, 0)}% (${Number(p.accuracy) >= 0.7 ? 'meets' : 'misses'} the 70% target)`);
  }
  return out.length ? `In short: ${out.join('; ')}.` : '';
}

/** Explainability: how faithful the heatmaps are, measured. */
export function explainSection(have: Map<string, EvalRecord>): CardSection {
  const rec = have.get('explain');
  if (!rec) return { heading: 'Explainability', text: '`vlm explain` heatmaps have not been evaluated yet (scripts/eval-explain.ts).' };
  const r = rec.result;
  const pointRows = ['dense', 'occlusion', 'random'].flatMap((m) => {
    const p = get(r, `pointing.${m}`) as Row | undefined;
    return p ? [[m, String(p.n), `${pct(p.accuracy, 0)} ${ci(p.ci95, 100, 0)}`, `${pct(p.accuracy_tol15, 0)} ${ci(p.ci95_tol15, 100, 0)}`]] : [];
  });
  const curveRows = ['dense', 'occlusion'].flatMap((m) => {
    const c = get(r, `curves.${m}`) as Row | undefined;
    return c ? [[m, String(c.n), `${n(c.deletion_auc, 3)} vs ${n(c.random_deletion_auc, 3)}`, `${n(c.deletion_margin, 3)} ${ci(c.deletion_margin_ci95, 1, 3)}`, `${n(c.insertion_auc, 3)} vs ${n(c.random_insertion_auc, 3)}`, `${n(c.insertion_margin, 3)} ${ci(c.insertion_margin_ci95, 1, 3)}`]] : [];
  });
  // the dense grid and tower input sizes, as the run recorded them (older runs: one 14x14 map at 224 px)
  const denseHow = String(get(r, 'settings.dense') ?? '');
  const grid = /averaged on (\d+x\d+)/.exec(denseHow)?.[1] ?? '14x14';
  const sizes = /tower at ([\d +]+) px/.exec(denseHow)?.[1];
  const mirrored = /mirror/.test(denseHow);
  const blend = /blended \(z-scores\) with occlusion (\d+x\d+) cells.*weight ([\d.]+)/.exec(denseHow);
  return {
    heading: 'Explainability: how faithful the heatmaps are',
    text: `\`vlm explain\` draws two kinds of heatmap: **dense** (this model only: the tower's ${grid} feature map${sizes ? ` (tower run at ${sizes} px${mirrored ? ' and on the mirrored image' : ''}, maps averaged)` : ''} through the image
head location by location, the component shared by all locations removed as in CLIP Surgery${blend ? `, then blended with an ${blend[1]} occlusion map at weight ${blend[2]}, both as z-scores; settings chosen on dev composites` : ''}) and **occlusion** (any
model: similarity drop when blurred patches hide each region). Both were measured on held-out data.

Pointing game: a GTSRB test sign (48-80 px) pasted at a random place on a Flickr8k test photo, text
"${String(get(r, 'pointing.text'))}"; a hit when the heatmap's peak falls inside the sign. Accuracy in % with Wilson 95% intervals
(the random map is the baseline; the target was 70%):

${table(['map', 'composites', 'hit %', 'hit % within 15 px'], pointRows)}

Deletion / insertion (Petsiuk et al. 2018) on Flickr8k test image-caption pairs: regions removed (blurred) or restored
most-relevant first; area under the cosine-similarity curve. Each method is compared with a random map on its own grid;
margin > 0 means better than random, paired bootstrap 95% intervals:

${table(['map', 'pairs', 'deletion AUC (vs random, lower is better)', 'deletion margin', 'insertion AUC (vs random)', 'insertion margin'], curveRows)}

${verdict(r)} Read the maps as "where the evidence is", not as segmentation: with an image tower fine-tuned for a
5-class safety task they are coarse. Word contributions (leave-one-out) show which words the similarity rests on.
Command: ${code(rec.command)}.`,
  };
}

/** Safety: what the classifier was measured to do, and what nobody measured. */
export function safetySection(have: Map<string, EvalRecord>): CardSection {
  const rec = have.get('safety');
  const rows = rec ? ['flickr8k_test', 'demo_photos', 'gtsrb_test', 'medpix_test'].flatMap((k) => {
    const s = rec.result[k] as Row | undefined;
    if (!s) return [];
    const counts = Object.entries((s.top_class_counts ?? {}) as Record<string, number>).filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1]);
    const flagged = ((s.examples_flagged_explicit ?? []) as { file: string }[]).map((e) => e.file).join(', ');
    return [[String(s.what), String(s.n), `${pct(s.fp_rate_explicit)} ${ci(s.fp_explicit_ci95)}`, `${pct(s.fp_rate_suggestive)} ${ci(s.fp_suggestive_ci95)}`,
      counts.map(([c, k]) => `${c} ${pct(k / Number(s.n), 0)}%`).join(', '), flagged || '–']];
  }) : [];
  return {
    heading: 'Safety: the image classifier and text checks',
    text: `\`vlm index\` runs the image safety classifier shipped in nsfwjs (MobileNetV2Mid with its own 5-class head: Drawing,
Hentai, Neutral, Porn, Sexy; trained by the nsfwjs authors on their data, not by us) on every new image and stores the
verdict with it. Policy \`--safety flag\` (default) records it, \`hide\` keeps flagged images out of searches unless
\`--include-hidden\`, \`refuse\` does not index them, \`off\` skips the check. An image is flagged when
P(Porn) + P(Hentai) >= 0.5 (level "explicit"); "suggestive" adds P(Sexy).

**What was measured:** false positives on image sets that contain no unsafe images (% flagged, Wilson 95% intervals):

${rows.length ? table(['images (all safe)', 'n', 'flagged, explicit %', 'flagged, suggestive %', 'most likely class', 'flagged (explicit)'], rows) : '(not measured yet: scripts/eval-safety.ts)'}

The class it picks is not a reliable description either: on these safe sets it often answers "Drawing" for photographs
(see the class column), so only the explicit score is used for the policy.

**What was not measured, and cannot be here:** how many unsafe images it catches (recall). No unsafe images exist on
this offline machine, so its miss rate is unknown to us; the nsfwjs authors' own accuracy figures were not reproduced.
It judges pixels only: it knows nothing about context, consent, age, violence, hate symbols or text in the image,
and it was not evaluated on artistic or cultural material beyond the rows above. The flagged files in the table are all
safe images (at measurement time: a tennis match, a car on a dusty track, a retina photograph, CT/MRI slices).
Text: every text typed to \`vlm explain\` and \`POST /v1/explain\` goes through one check (src/text/validate.ts): at most
500 characters, control characters and bidi overrides refused with a message naming them; labels are put into prompt
templates as plain data (a "{}" or "$&" in a label cannot change the template).${rec ? ` Command: ${code(rec.command)}.` : ''}`,
  };
}

/** The card's limitations: observed, with numbers and examples from eval/*.json. */
export function limitationsSection(have: Map<string, EvalRecord>): CardSection {
  return {
    heading: 'Limitations',
    text: [
      languageGap(have),
      zeroShot(have),
      failures(have),
      `- The image tower was fine-tuned by the nsfwjs authors for a 5-class safety task; its features carry little object
  detail, which is what holds retrieval back (see the ablations) and keeps the heatmaps coarse.
- Research use only; not for decisions about people.`,
    ].join('\n'),
  };
}

/** Everything this module adds to the card, in order. */
export function limitationsSections(have: Map<string, EvalRecord>): CardSection[] {
  return [explainSection(have), safetySection(have), limitationsSection(have)];
}
