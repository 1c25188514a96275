import { loadFlickr8k, type Flickr8kSplit } from '../train/datasets/flickr8k.js';
import { CONCEPTS, conceptByKey, findConceptsEn, pluralOf, zhName, type Concept } from '../apps/ask/lexicon.js';
import { parseEnNumber } from '../apps/ask/numbers.js';
import { createRng, shuffleInPlace } from '../util/rng.js';

/**
 * VQA questions with known answers, built from Flickr8k captions of one split (dev to calibrate, test to evaluate):
 *  - yes/no: an object is "yes" when at least 2 of the 5 English captions mention it (any synonym or plural),
 *    "no" when none does; per concept as many yes as no (seeded draw);
 *  - counting: captions that agree on a number word ("two dogs", "three people"): at least 2 captions give the
 *    same number for a COCO class and none gives another.
 * Every question is asked in English and in Chinese.
 */
export interface VqaQuestion {
  id: string;
  type: 'yesno' | 'count' | 'ocr';
  lang: 'en' | 'zh';
  image: string;
  question: string;
  answer: boolean | number | string;
  concept?: string;
}

/** Mentioning any of these also mentions the key ("a man" is a person). */
const IMPLIED_BY: Record<string, string[]> = {
  person: ['man', 'woman', 'child', 'boy', 'girl', 'crowd'],
  child: ['boy', 'girl'],
  water: ['sea', 'pool'],
};

/**
 * A "no" must not be merely unmentioned: these nearby words make the absence unclear (captions saying "a person"
 * may well show a man; "a lake" has water), so images whose captions use them are not negatives.
 */
const UNCLEAR_IF: Record<string, RegExp> = {
  man: /\b(person|people|someone|boy|boys|teenager|guy|player|biker|rider|skier|surfer|climber)\b/,
  woman: /\b(person|people|someone|girl|girls|teenager|player|biker|rider|skier|surfer|climber)\b/,
  child: /\b(person|people|someone|teenager|young|youth)\b/,
  boy: /\b(person|people|someone|child|children|kid|kids|teenager)\b/,
  girl: /\b(person|people|someone|child|children|kid|kids|teenager)\b/,
  water: /\b(lake|river|stream|splash\w*|swim\w*|wave|waves|wet|fountain|surf\w*|creek|puddle|ocean|shore)\b/,
  car: /\b(vehicle|vehicles|jeep|van|suv|taxi)\b/,
  bicycle: /\b(cyclist|biker|bmx|bikers|cycling)\b/,
  dog: /\b(animal|animals|pet)\b/,
  ball: /\b(soccer|football|basketball|volleyball|tennis|rugby|baseball)\b/,
  snow: /\b(ski\w*|snowboard\w*|sled\w*|winter)\b/,
  grass: /\b(field|yard|lawn|park|meadow)\b/,
  beach: /\b(shore|ocean|sea|surf\w*|waves)\b/,
  street: /\b(city|sidewalk|crosswalk|road|town|parking)\b/,
};

/** Concepts asked about: enough test images mention them and the word is unambiguous in Flickr8k captions. */
const YESNO_CONCEPTS = [
  'person', 'man', 'woman', 'child', 'dog', 'cat', 'horse', 'bird', 'cow', 'sheep', 'bicycle', 'car', 'motorcycle', 'bus',
  'truck', 'boat', 'airplane', 'ball', 'frisbee', 'kite', 'skateboard', 'surfboard', 'umbrella', 'backpack', 'bench', 'chair',
  'table', 'water', 'grass', 'snow', 'beach', 'street', 'mountain', 'rock', 'tree', 'building', 'hat', 'shirt', 'jacket',
  'dress', 'sunglasses', 'flower', 'fence', 'stairs', 'fountain', 'sign', 'crowd', 'pool',
];

function mentions(caption: string): Set<string> {
  const keys = new Set(findConceptsEn(caption).map((h) => h.concept.key));
  for (const [key, implied] of Object.entries(IMPLIED_BY)) if (implied.some((k) => keys.has(k))) keys.add(key);
  return keys;
}

export function yesnoQuestion(concept: Concept, lang: 'en' | 'zh'): string {
  if (lang === 'zh') return concept.key === 'person' ? '图中有人吗？' : `图中有${zhName(concept)}吗？`;
  if (concept.key === 'person') return 'are there people?';
  if (['water', 'grass', 'snow'].includes(concept.key)) return `is there ${concept.key}?`;
  if (['sunglasses', 'stairs'].includes(concept.key)) return `are there ${concept.key}?`;
  return `is there ${/^[aeiou]/.test(concept.key) ? 'an' : 'a'} ${concept.key}?`;
}

const MEASURE: Record<string, string> = {
  person: '个', dog: '只', cat: '只', bird: '只', sheep: '只', horse: '匹', cow: '头', bicycle: '辆', car: '辆', motorcycle: '辆',
  bus: '辆', truck: '辆', boat: '艘', airplane: '架', ball: '个', kite: '只', umbrella: '把', chair: '把', bench: '张',
};

export function countQuestion(concept: Concept, lang: 'en' | 'zh'): string {
  if (lang === 'zh') return `图中有几${MEASURE[concept.key] ?? '个'}${concept.key === 'person' ? '人' : zhName(concept)}？`;
  return `how many ${concept.key === 'person' ? 'people' : pluralOf(concept)} are there?`;
}

/**
 * The number a caption gives for each COCO-countable concept ("two dogs" -> dog: 2). People add up across words
 * ("a man and two women" -> person: 3); a person word with no number ("people", "a group of men") makes the
 * caption's person count unknown (NaN), so the image is not a clear case.
 */
export function statedCounts(caption: string): Map<string, number> {
  const out = new Map<string, number>();
  const norm = caption.toLowerCase().replace(/[^a-z0-9'\- ]+/g, ' ');
  const tokens = norm.split(/\s+/).filter(Boolean);
  let explicit = false;
  for (const h of findConceptsEn(caption)) {
    const key = h.concept.coco ? h.concept.key : h.concept.parent ? 'person' : undefined;
    if (!key) continue;
    const before = norm.slice(0, h.index).split(/\s+/).filter(Boolean).length;
    let n: number | undefined;
    // The number word may sit up to 2 adjectives before the noun: "two small brown dogs".
    for (let k = 1; k <= 3 && before - k >= 0; k++) {
      const v = parseEnNumber(tokens[before - k]);
      if (v !== undefined && v >= 2) { n = v; explicit = true; break; }
    }
    if (key === 'person') {
      const article = ['a', 'an', 'one'].includes(tokens[before - 1] ?? '') || ['a', 'an'].includes(tokens[before - 2] ?? '');
      const v = n ?? (article && h.form === h.concept.key ? 1 : NaN);
      out.set('person', (out.get('person') ?? 0) + v);
    } else if (n !== undefined) {
      const prev = out.get(key);
      out.set(key, prev !== undefined && prev !== n ? NaN : n);
    }
  }
  // Only captions that use a number word state a count ("a man" alone is not a counting caption).
  return explicit ? out : new Map();
}

export interface VqaSetOptions {
  split: Flickr8kSplit;
  seed: number;
  /** yes (and as many no) questions per concept at most. */
  perConcept: number;
}

export function buildCaptionVqa(opts: VqaSetOptions): { yesno: VqaQuestion[]; count: VqaQuestion[] } {
  const data = loadFlickr8k(opts.split, 'en');
  const rng = createRng(opts.seed);
  const byImage: string[][] = data.images.map(() => []);
  for (const c of data.captions) byImage[c.imageIndex].push(c.text);
  const mentionCounts = byImage.map((caps) => {
    const m = new Map<string, number>();
    for (const cap of caps) for (const k of mentions(cap)) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  });

  const yesno: VqaQuestion[] = [];
  for (const key of YESNO_CONCEPTS) {
    const concept = conceptByKey(key)!;
    const unclear = UNCLEAR_IF[key];
    const yes: number[] = [];
    const no: number[] = [];
    data.images.forEach((_, i) => {
      const n = mentionCounts[i].get(key) ?? 0;
      if (n >= 2) yes.push(i);
      else if (n === 0 && !(unclear && byImage[i].some((c) => unclear.test(c.toLowerCase())))) no.push(i);
    });
    const k = Math.min(opts.perConcept, yes.length, no.length);
    if (k < 3) continue;
    const pickYes = shuffleInPlace(yes, rng).slice(0, k);
    const pickNo = shuffleInPlace(no, rng).slice(0, k);
    for (const [answer, idx] of [[true, pickYes], [false, pickNo]] as const) {
      for (const i of idx) {
        for (const lang of ['en', 'zh'] as const) {
          yesno.push({ id: `yesno-${key}-${data.images[i]}-${lang}`, type: 'yesno', lang, image: data.imagePaths[i], question: yesnoQuestion(concept, lang), answer, concept: key });
        }
      }
    }
  }

  const count: VqaQuestion[] = [];
  data.images.forEach((img, i) => {
    const per = byImage[i].map(statedCounts);
    const keys = new Set(per.flatMap((m) => [...m.keys()]));
    for (const key of keys) {
      const stated = per.map((m) => m.get(key)).filter((v): v is number => v !== undefined);
      const agree = stated.length >= 2 && stated[0] >= 2 && stated.every((v) => v === stated[0]);
      if (!agree) continue;
      const concept = conceptByKey(key)!;
      for (const lang of ['en', 'zh'] as const) {
        count.push({ id: `count-${key}-${img}-${lang}`, type: 'count', lang, image: data.imagePaths[i], question: countQuestion(concept, lang), answer: stated[0], concept: key });
      }
    }
  });
  return { yesno, count };
}

/** Concepts the lexicon has but the yes/no set never asks about (for the report). */
export function unaskedConcepts(): string[] {
  return CONCEPTS.map((c) => c.key).filter((k) => !YESNO_CONCEPTS.includes(k));
}
