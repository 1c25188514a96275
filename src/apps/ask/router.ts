import { COLOURS, findConceptsEn, findConceptsZh, type Concept } from './lexicon.js';

/**
 * Rules, not a model: which skill answers a question, and about what. A question no rule covers is routed to
 * 'unanswerable' with the reason, so the caller says so instead of guessing.
 */
export type AskLang = 'en' | 'zh';

export type Route =
  | { kind: 'caption'; lang: AskLang }
  | {
      kind: 'verify';
      lang: AskLang;
      /** The object or attribute phrase to check, in the question's language ("a black dog", "狗"). */
      phrase: string;
      /** The main object when the lexicon knows it (its COCO class lets the detector vote). */
      concept?: Concept;
      /** True when the phrase is just the object ("is there a dog?"), not a qualified one ("is the dog black?"). */
      bare: boolean;
    }
  | { kind: 'count'; lang: AskLang; concept: Concept; /** counted as its COCO parent class ("men" -> person) */ viaParent: boolean }
  | { kind: 'ocr'; lang: AskLang }
  | { kind: 'unanswerable'; lang: AskLang; reason: string };

const CJK = /[\u3400-\u9fff]/;

export function questionLang(question: string): AskLang {
  return CJK.test(question) ? 'zh' : 'en';
}

const EN_OCR = /\b(say|says|said|saying|written|write|writes|writing|read|reads|spell|spells|text|word|words|letters|printed)\b/;
const EN_CAPTION = [
  /^(what|whats|what's)( is| are)?( there)? (in|on) (the|this|that|these) (image|picture|photo|photograph|pic|scene)s?$/,
  /^(what|whats|what's) (is )?(happening|going on)( here| in (the|this) (image|picture|photo))?$/,
  /^(what|whats|what's) (is )?(this|that|shown|depicted|pictured)( image| picture| photo)?$/,
  /^(what|whats|what's) (do|can) you see( here| in (the|this) (image|picture|photo))?$/,
  /^what does (the|this) (image|picture|photo) show$/,
  /\b(describe|caption|summari[sz]e)\b/,
];
const EN_YESNO = /^(is|are|was|were|does|do|did|has|have|can you see|can i see|do you see|is it|are they)\b/;
const EN_UNANSWERABLE = /^(why|when|who|whom|whose|where|how (old|much|long|far|fast|big|tall|come|does|do|did|is|are))\b/;

const ZH_OCR = /写着|写了|写的|写有|文字|字样|上面写|读一下|读出|什么字/;
const ZH_COUNT = /几个|几只|几辆|几位|几条|几匹|几头|几艘|几架|几把|几张|几本|几名|几棵|多少/;
const ZH_CAPTION = /(图|图片|照片|画面|图像)(里|中|上|里面|中间)?(有|是)什么|描述|这是什么|发生了什么|看到了什么|看到什么|(图片|照片|图像|画面)(内容|讲了什么|说明了什么)|有什么东西/;
const ZH_YESNO = /吗[?？。!！]?$|有没有|是不是|是否|(?<!什)么[?？]?$/;
const ZH_UNANSWERABLE = /为什么|为何|什么时候|何时|谁|在哪|哪里|多大|多少岁|几岁/;

function clean(question: string): string {
  return question.trim().toLowerCase().replace(/[?!.,;:"“”]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Route a question. `lang` forces the answer language; by default it is the question's. */
export function routeQuestion(question: string, lang?: AskLang): Route {
  const qLang = questionLang(question);
  const outLang = lang ?? qLang;
  return qLang === 'zh' ? routeZh(question.trim(), outLang) : routeEn(clean(question), outLang);
}

function unanswerable(lang: AskLang, reason: string): Route {
  return { kind: 'unanswerable', lang, reason };
}

function routeEn(q: string, lang: AskLang): Route {
  if (!q) return unanswerable(lang, 'the question is empty');
  const words = q.split(' ');
  if (words.length > 2 && /^(what|which)\b/.test(q) && EN_OCR.test(q) || /^(read|transcribe)\b/.test(q) || /\bread (the|this|that|it)\b/.test(q)) {
    return { kind: 'ocr', lang };
  }
  if (EN_CAPTION.some((re) => re.test(q))) return { kind: 'caption', lang };
  if (/^(how many|count)\b|\bnumber of\b/.test(q)) {
    const hits = findConceptsEn(q);
    if (hits.length === 0) return unanswerable(lang, 'I can count only kinds of objects I know (people, dogs, cars and the other COCO classes), and found none in the question');
    const concept = hits[0].concept;
    if (concept.coco) return { kind: 'count', lang, concept, viaParent: false };
    if (concept.parent) return { kind: 'count', lang, concept, viaParent: true };
    return unanswerable(lang, `I can count only COCO object kinds (people, dogs, cars, ...), not "${hits[0].form}"`);
  }
  if (EN_UNANSWERABLE.test(q)) return unanswerable(lang, 'I can describe the image, check whether something is in it, count common objects and read text, but not answer why/when/who/where questions');
  if (EN_YESNO.test(q)) return verifyEn(q, lang);
  return unanswerable(lang, 'I did not recognise the kind of question: ask "what is in the image?", "is there a dog?", "how many people?" or "what does the sign say?"');
}

/** Nouns asked about without an article ("is there water?"). */
const MASS = new Set(['water', 'grass', 'snow', 'sky', 'fire', 'sea', 'beach', 'sunglasses', 'stairs', 'skis']);

const EN_LEAD = /^(can you see|can i see|do you see|is there|are there|was there|were there|is it|are they|does (the|this) (image|picture|photo) (show|contain|have)|do|does|did|is|are|was|were|has|have)\s+/;
const EN_TAIL = /\s+(in|on) (the|this) (image|picture|photo|pic|scene)$|\s+(here|there|visible|shown|present|anywhere)$/;

function verifyEn(q: string, lang: AskLang): Route {
  let phrase = q.replace(EN_LEAD, '').replace(EN_TAIL, '').replace(EN_TAIL, '').replace(/^(any|some)\s+/, '').trim();
  if (!phrase) return unanswerable(lang, 'the question names nothing to look for');
  const hits = findConceptsEn(phrase);
  const concept = hits[0]?.concept;
  const colours = COLOURS.filter((c) => new RegExp(`\\b${c.key}\\b`).test(phrase) && !(c.key === 'orange' && concept?.key === 'orange' && hits.length === 1));
  // "is there a dog", "are there people", "any water": the object alone.
  const bare = concept !== undefined && hits.length === 1 && colours.length === 0
    && phrase.replace(/^(a|an|the|any|some)\s+/, '') === hits[0].form;
  if (!concept && phrase.split(' ').length > 6) return unanswerable(lang, 'the question is too long for me to check; ask about one object or attribute, e.g. "is there a dog?"');
  if (bare && !/^(a|an|the)\s/.test(phrase) && hits[0].form === concept.key && !MASS.has(concept.key) && concept.plural !== concept.key) phrase = (/^[aeiou]/.test(phrase) ? 'an ' : 'a ') + phrase;
  return { kind: 'verify', lang, phrase, concept, bare };
}

function routeZh(q: string, lang: AskLang): Route {
  const s = q.replace(/[\s?？!！。,，、"“”]+/g, '');
  if (!s) return unanswerable(lang, 'the question is empty');
  if (ZH_OCR.test(s)) return { kind: 'ocr', lang };
  if (ZH_COUNT.test(s)) {
    const hits = findConceptsZh(s.replace(/有几|多少/g, '|'));
    const concept = hits.find((h) => h.concept.coco || h.concept.parent)?.concept;
    if (!concept) return unanswerable(lang, hits.length ? `我只能数常见物体（人、狗、汽车等 COCO 类别），不能数“${hits[0].form}”` : '我只能数常见物体（人、狗、汽车等 COCO 类别），问题里没有找到');
    return { kind: 'count', lang, concept, viaParent: !concept.coco };
  }
  if (ZH_CAPTION.test(s) && !ZH_YESNO.test(s)) return { kind: 'caption', lang };
  if (ZH_UNANSWERABLE.test(s)) return unanswerable(lang, '我能描述图片、判断有没有某样东西、数常见物体、读出文字，但回答不了为什么/什么时候/谁/在哪里这类问题');
  if (ZH_YESNO.test(s)) {
    // "图中有人吗" -> "人"; "有没有狗" -> "狗"; "狗是黑色的吗" -> "狗是黑色的"
    const phrase = s
      .replace(/吗$|(?<!什)么$/, '')
      .replace(/^(请问)?(这张)?(图片|照片|图像|画面|图)?(里面|里|中|上)?/, '')
      .replace(/^(是否|有没有|是不是)/, '')
      .replace(/^(能)?看到/, '')
      .replace(/^有/, '')
      .replace(/^(一个|一只|一辆|一些|任何)/, '');
    if (!phrase) return unanswerable(lang, '问题里没有要找的东西');
    const hits = findConceptsZh(phrase);
    const concept = hits[0]?.concept;
    const bare = concept !== undefined && hits.length === 1 && hits[0].form === phrase;
    return { kind: 'verify', lang, phrase, concept, bare };
  }
  if (/什么/.test(s) && /(图|图片|照片)/.test(s)) return { kind: 'caption', lang };
  return unanswerable(lang, '没有听懂这类问题：可以问“图里有什么？”“有狗吗？”“有几个人？”或“上面写着什么？”');
}
