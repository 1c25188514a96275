/**
 * How much could detector class scores tell the contrastive model? For the COCO classes that Flickr8k captions
 * name most often, the AUC of the cached detector score for "some caption of this image mentions the class".
 * Uses whatever rows of the detector cache exist (it is written in file-name order, unrelated to the split).
 * Also checks the per-class counts against captions that state a number ("two dogs", "a man" with no plural).
 * With --probe TOWER/TAP, also a baseline: a logistic-regression probe on the frozen CNN features of that feature
 * cache, trained on the split's images that have no detector row yet and scored on the same images as the detector.
 *   node dist/scripts/detector-caption-auc.js [--kind centernet] [--split train] [--top 20] [--probe mobilenet_v2_mid/final_gap] [--json]
 */
import { parseArgs } from 'node:util';
import { readDetectionCache } from '../src/model/detector-cache.js';
import { readFeatureCache, selectRows } from '../src/model/feature-cache.js';
import { initTf, tf } from '../src/model/tf.js';
import { COCO_LABELS, NUM_COCO_CLASSES, type DetectorKind } from '../src/model/detector.js';
import { loadFlickr8k, type Flickr8kSplit } from '../src/train/datasets/flickr8k.js';

/** Caption words that name each COCO class (plural forms and the people/gear that imply the object). */
const CLASS_WORDS: Record<string, string[]> = {
  person: ['man', 'men', 'woman', 'women', 'person', 'people', 'boy', 'boys', 'girl', 'girls', 'child', 'children', 'kid', 'kids',
    'baby', 'babies', 'toddler', 'lady', 'ladies', 'guy', 'guys', 'player', 'players', 'surfer', 'skier', 'snowboarder',
    'skateboarder', 'biker', 'bikers', 'cyclist', 'rider', 'crowd', 'teenager', 'adult', 'adults', 'climber', 'swimmer'],
  dog: ['dog', 'dogs', 'puppy', 'puppies'],
  'sports ball': ['ball', 'balls', 'football', 'basketball', 'volleyball', 'soccerball'],
  bicycle: ['bike', 'bikes', 'bicycle', 'bicycles', 'cyclist', 'cyclists', 'biker', 'bikers'],
  car: ['car', 'cars'],
  skateboard: ['skateboard', 'skateboards', 'skateboarder', 'skateboarders', 'skateboarding'],
  motorcycle: ['motorcycle', 'motorcycles', 'motorbike', 'motorbikes', 'motorcyclist'],
  bench: ['bench', 'benches'],
  boat: ['boat', 'boats', 'kayak', 'kayaks', 'canoe', 'canoes', 'raft', 'rafts', 'sailboat', 'sailboats'],
  frisbee: ['frisbee', 'frisbees'],
  horse: ['horse', 'horses', 'pony', 'ponies'],
  surfboard: ['surfboard', 'surfboards', 'surfer', 'surfers', 'surfing'],
  skis: ['ski', 'skis', 'skier', 'skiers', 'skiing'],
  snowboard: ['snowboard', 'snowboards', 'snowboarder', 'snowboarders', 'snowboarding'],
  bird: ['bird', 'birds', 'duck', 'ducks', 'seagull', 'seagulls', 'pigeon', 'pigeons', 'goose', 'geese'],
  chair: ['chair', 'chairs'],
  backpack: ['backpack', 'backpacks'],
  bed: ['bed', 'beds'],
  handbag: ['purse', 'purses', 'handbag', 'handbags', 'bag', 'bags'],
  train: ['train', 'trains'],
  couch: ['couch', 'couches', 'sofa'],
  'tennis racket': ['racket', 'rackets', 'racquet', 'racquets'],
  'baseball bat': ['bat', 'bats'],
  cow: ['cow', 'cows', 'cattle', 'bull', 'bulls', 'calf'],
  umbrella: ['umbrella', 'umbrellas'],
  truck: ['truck', 'trucks'],
  bus: ['bus', 'buses'],
  'dining table': ['table', 'tables'],
  sheep: ['sheep', 'lamb', 'lambs'],
  cat: ['cat', 'cats', 'kitten', 'kittens'],
  bottle: ['bottle', 'bottles'],
  cup: ['cup', 'cups', 'mug'],
  book: ['book', 'books'],
  'cell phone': ['phone', 'phones', 'cellphone'],
  tie: ['tie', 'ties', 'necktie'],
  kite: ['kite', 'kites'],
  elephant: ['elephant', 'elephants'],
};

/** Mann-Whitney AUC with average ranks for ties; NaN when one class is empty. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<boolean>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]]) { pos++; rankSum += avgRank; }
    i = j + 1;
  }
  const neg = idx.length - pos;
  return pos === 0 || neg === 0 ? NaN : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Standard error of an AUC (Hanley & McNeil 1982): enough to tell a real signal from small-sample luck. */
function hanleyMcNeilSe(a: number, pos: number, neg: number): number {
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  return Math.sqrt((a * (1 - a) + (pos - 1) * (q1 - a * a) + (neg - 1) * (q2 - a * a)) / (pos * neg));
}

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'centernet' },
    split: { type: 'string', default: 'train' },
    top: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    probe: { type: 'string' },
  },
});

const NUMBERS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5 };
/** Singular and plural caption nouns for the classes whose counts we check. */
const COUNT_NOUNS: Record<string, { one: string[]; many: string[] }> = {
  dog: { one: ['dog', 'puppy'], many: ['dogs', 'puppies'] },
  person: {
    one: ['man', 'woman', 'person', 'boy', 'girl', 'child', 'kid', 'baby', 'lady', 'guy'],
    many: ['men', 'women', 'people', 'boys', 'girls', 'children', 'kids', 'babies', 'ladies', 'guys', 'persons'],
  },
};

/**
 * The number of objects the captions agree on: explicit "<number> <plural>" phrases, or 1 when some caption
 * says "a/one <singular>" and none uses a plural noun. Undefined when the captions are silent or disagree.
 */
function captionCount(captions: string[], nouns: { one: string[]; many: string[] }): number | undefined {
  const stated = new Set<number>();
  let plural = false;
  let single = false;
  for (const text of captions) {
    const toks = text.toLowerCase().split(/[^a-z]+/).filter(Boolean);
    toks.forEach((t, i) => {
      if (nouns.many.includes(t)) {
        plural = true;
        const n = NUMBERS[toks[i - 1]] ?? NUMBERS[toks[i - 2]]; // "two dogs", "two black dogs"
        if (n && n > 1) stated.add(n);
      }
      if (nouns.one.includes(t) && (NUMBERS[toks[i - 1]] === 1 || NUMBERS[toks[i - 2]] === 1)) single = true;
    });
  }
  if (stated.size === 1) return [...stated][0];
  if (stated.size === 0 && single && !plural) return 1;
  return undefined;
}

const cache = readDetectionCache(values.kind as DetectorKind);
const data = loadFlickr8k(values.split as Flickr8kSplit, 'en');
const words = data.images.map(() => new Set<string>());
const texts = data.images.map((): string[] => []);
for (const c of data.captions) {
  texts[c.imageIndex].push(c.text);
  for (const w of c.text.toLowerCase().split(/[^a-z]+/)) if (w) words[c.imageIndex].add(w);
}

// Images of the split that are cached, with their detector rows.
const rows: { name: string; words: Set<string>; texts: string[]; row: Float32Array }[] = [];
data.images.forEach((name, i) => {
  const row = cache.row(name);
  if (row) rows.push({ name, words: words[i], texts: texts[i], row });
});

/**
 * Per class, probe scores for the detector-cached images: logistic regression (full batch Adam, standardised
 * features, small L2) on the frozen CNN features of the other images of the split.
 */
async function probeScores(spec: string, classes: { label: string; words: string[] }[]): Promise<Float32Array[]> {
  const [tower, tap] = spec.split('/');
  const m = readFeatureCache(tower, tap);
  const held = new Set(rows.map((r) => r.name));
  const trainIdx = data.images.map((_, i) => i).filter((i) => !held.has(data.images[i]));
  const label = (ws: Set<string>) => classes.map((c) => (c.words.some((w) => ws.has(w)) ? 1 : 0));
  await initTf();
  const Xtr = tf.tensor2d(selectRows(m, trainIdx.map((i) => data.images[i])), [trainIdx.length, m.dim]);
  const Xev = tf.tensor2d(selectRows(m, rows.map((r) => r.name)), [rows.length, m.dim]);
  const Y = tf.tensor2d(trainIdx.flatMap((i) => label(words[i])), [trainIdx.length, classes.length]);
  const { mean, variance } = tf.moments(Xtr, 0);
  const sd = variance.sqrt().add(1e-6);
  const xtr = Xtr.sub(mean).div(sd);
  const xev = Xev.sub(mean).div(sd);
  // Plain Adam with hand-written gradients: X^T is materialised once because tfjs-wasm's matMul with
  // transposeA (what autograd would use) is ~15x slower.
  const xtrT = xtr.transpose();
  const n = trainIdx.length;
  let W = tf.zeros([m.dim, classes.length]);
  let b = tf.zeros([classes.length]);
  let mW = tf.zerosLike(W), vW = tf.zerosLike(W), mb = tf.zerosLike(b), vb = tf.zerosLike(b);
  const lr = 0.01, b1 = 0.9, b2 = 0.999, l2 = 1e-4;
  for (let t = 1; t <= 200; t++) {
    const next = tf.tidy(() => {
      const err = tf.sigmoid(xtr.matMul(W).add(b)).sub(Y).div(n);
      const gW = xtrT.matMul(err).add(W.mul(2 * l2));
      const gb = err.sum(0);
      const nmW = mW.mul(b1).add(gW.mul(1 - b1)), nvW = vW.mul(b2).add(gW.square().mul(1 - b2));
      const nmb = mb.mul(b1).add(gb.mul(1 - b1)), nvb = vb.mul(b2).add(gb.square().mul(1 - b2));
      const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
      const nW = W.sub(nmW.div(c1).div(nvW.div(c2).sqrt().add(1e-8)).mul(lr));
      const nb = b.sub(nmb.div(c1).div(nvb.div(c2).sqrt().add(1e-8)).mul(lr));
      return [nW, nb, nmW, nvW, nmb, nvb];
    });
    tf.dispose([W, b, mW, vW, mb, vb]);
    [W, b, mW, vW, mb, vb] = next;
  }
  const logits = await xev.matMul(W).add(b).array() as number[][];
  tf.dispose([Xtr, Xev, Y, mean, variance, sd, xtr, xtrT, xev, W, b, mW, vW, mb, vb]);
  return classes.map((_, c) => Float32Array.from(logits.map((l) => l[c])));
}

/** Mean of the two rankings (no training needed): do the detector and the CNN know different things? */
function rankAverage(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const ranks = (v: ArrayLike<number>) => {
    const r = new Float32Array(v.length);
    Array.from({ length: v.length }, (_, i) => i).sort((x, y) => v[x] - v[y]).forEach((i, k) => (r[i] = k));
    return r;
  };
  const ra = ranks(a);
  const rb = ranks(b);
  return ra.map((v, i) => v + rb[i]);
}

const results = Object.entries(CLASS_WORDS).map(([label, ws]) => {
  const classId = COCO_LABELS.indexOf(label);
  if (classId < 0) throw new Error(`not a COCO label: ${label}`);
  const mentioned = rows.map((r) => ws.some((w) => r.words.has(w)));
  const score = rows.map((r) => r.row[classId]);
  const count = rows.map((r) => r.row[NUM_COCO_CLASSES + classId]);
  const positives = mentioned.filter(Boolean).length;
  const inSplit = words.filter((ws2) => ws.some((w) => ws2.has(w))).length;
  // How often the detector "fires" (a detection >= the count threshold) on mentioned vs unmentioned images.
  const fired = (want: boolean) => rows.filter((_, k) => mentioned[k] === want && count[k] > 0).length / Math.max(1, rows.filter((_, k) => mentioned[k] === want).length);
  const a = auc(score, mentioned);
  const aucSe = hanleyMcNeilSe(a, positives, rows.length - positives);
  return { label, inSplit, positives, rate: positives / rows.length, aucScore: a, aucSe, aucCount: auc(count, mentioned), firedPos: fired(true), firedNeg: fired(false) };
}).sort((a, b) => b.inSplit - a.inSplit).slice(0, Number(values.top));

const probe = values.probe
  ? await probeScores(values.probe, results.map((r) => ({ label: r.label, words: CLASS_WORDS[r.label] })))
  : undefined;
const probeResults = probe?.map((scores, c) => {
  const r = results[c];
  const mentioned = rows.map((row) => CLASS_WORDS[r.label].some((w) => row.words.has(w)));
  const det = rows.map((row) => row.row[COCO_LABELS.indexOf(r.label)]);
  return { label: r.label, aucProbe: auc(scores, mentioned), aucRankAverage: auc(rankAverage(scores, det), mentioned) };
});

// Counting: detector count (score >= cache threshold) vs the number the captions state, over 1, 2, 3, 4+.
const counting = Object.entries(COUNT_NOUNS).map(([label, nouns]) => {
  const classId = COCO_LABELS.indexOf(label);
  const confusion = Array.from({ length: 5 }, () => new Array<number>(5).fill(0)); // [caption 1..4+][detector 0..4+]
  let n = 0;
  let exact = 0;
  for (const r of rows) {
    const want = captionCount(r.texts, nouns);
    if (want === undefined) continue;
    const got = Math.min(4, r.row[NUM_COCO_CLASSES + classId]);
    confusion[Math.min(4, want)][got]++;
    n++;
    if (got === Math.min(4, want)) exact++;
  }
  return { label, images: n, exact: exact / Math.max(1, n), confusion: confusion.slice(1) };
});

if (values.json) {
  console.log(JSON.stringify({ kind: cache.kind, split: data.split, images: rows.length, results, probe: values.probe, probeResults, counting }));
} else {
  console.log(`${cache.kind} on Flickr8k ${data.split}: ${rows.length} of ${data.images.length} images cached (${cache.complete ? 'complete' : 'partial'} cache)`);
  console.log('class            mentioned (cached)  AUC(max score) ±se   AUC(count>=thr)  fires|mentioned  fires|not');
  for (const r of results) {
    console.log(`${r.label.padEnd(16)} ${String(r.positives).padStart(5)} ${(100 * r.rate).toFixed(1).padStart(5)}%      ${r.aucScore.toFixed(3).padStart(6)} ±${r.aucSe.toFixed(3)}    ${r.aucCount.toFixed(3).padStart(8)}         ${(100 * r.firedPos).toFixed(0).padStart(4)}%        ${(100 * r.firedNeg).toFixed(0).padStart(4)}%`);
  }
  const valid = results.filter((r) => Number.isFinite(r.aucScore));
  console.log(`mean AUC(max score) over ${valid.length} classes: ${(valid.reduce((s, r) => s + r.aucScore, 0) / valid.length).toFixed(3)}`);
  if (probeResults) {
    console.log(`\nbaseline: logistic probe on ${values.probe} (trained on the other ${data.images.length - rows.length} ${data.split} images), same images`);
    console.log('class            AUC detector  AUC CNN probe  AUC rank-average(both)');
    probeResults.forEach((p, c) => console.log(`${p.label.padEnd(16)} ${results[c].aucScore.toFixed(3).padStart(8)}     ${p.aucProbe.toFixed(3).padStart(8)}       ${p.aucRankAverage.toFixed(3).padStart(8)}`));
    const mean = (f: (p: NonNullable<typeof probeResults>[number], c: number) => number) => {
      const v = probeResults.map(f).filter(Number.isFinite);
      return (v.reduce((a, x) => a + x, 0) / v.length).toFixed(3);
    };
    console.log(`mean             ${mean((_, c) => results[c].aucScore).padStart(8)}     ${mean((p) => p.aucProbe).padStart(8)}       ${mean((p) => p.aucRankAverage).padStart(8)}`);
  }
  for (const c of counting) {
    console.log(`\ncount of ${c.label} (threshold ${cache.countThreshold}) vs captions that state a number: ${c.images} images, exact ${(100 * c.exact).toFixed(0)}%`);
    console.log('  caption\\detector    0     1     2     3    4+');
    c.confusion.forEach((line, k) => console.log(`  ${k + 1 === 4 ? '4+' : k + 1}              ${line.map((v) => String(v).padStart(5)).join(' ')}`));
  }
}
