import { join } from 'node:path';
import { UsageError, VlmError } from '../../util/errors.js';
import { readList, readTsv } from './tsv.js';
import { requireDataset, requireFile } from './require-dataset.js';

export type Flickr8kSplit = 'train' | 'dev' | 'test';
/** 'zh' = Flickr8k-CN captions written by native speakers; 'zh-human' = human translations of the English test captions. */
export type Flickr8kLang = 'en' | 'zh' | 'zh-human';

export interface Flickr8kCaption {
  /** Index into images / imagePaths. */
  imageIndex: number;
  text: string;
  /** Caption number 0..4 within its image. */
  n: number;
}

export interface Flickr8k {
  split: Flickr8kSplit;
  lang: Flickr8kLang;
  /** File names in the split's standard order. */
  images: string[];
  imagePaths: string[];
  /** Sorted by (imageIndex, n): 5 per image. */
  captions: Flickr8kCaption[];
}

const CAPTION_FILES: Record<Flickr8kLang, string> = {
  en: 'captions_en.tsv',
  zh: 'captions_zh.tsv',
  'zh-human': 'test_captions_zh_human.tsv',
};

export function loadFlickr8k(split: Flickr8kSplit, lang: Flickr8kLang): Flickr8k {
  if (!['train', 'dev', 'test'].includes(split)) throw new UsageError(`unknown Flickr8k split "${split}": use train, dev or test`);
  if (!(lang in CAPTION_FILES)) throw new UsageError(`unknown Flickr8k caption language "${lang}": use en, zh or zh-human`);
  if (lang === 'zh-human' && split !== 'test') {
    throw new UsageError(`Flickr8k zh-human captions exist for the test split only (asked for ${split})`);
  }
  const dir = requireDataset('flickr8k', 'Flickr8k');
  const images = readList(requireFile(join(dir, `${split}.txt`), 'Flickr8k'));
  const index = new Map(images.map((name, i) => [name, i]));
  const captions: Flickr8kCaption[] = [];
  for (const row of readTsv(requireFile(join(dir, CAPTION_FILES[lang]), 'Flickr8k'))) {
    const imageIndex = index.get(row.image);
    if (imageIndex === undefined) continue;
    captions.push({ imageIndex, text: row.caption, n: Number(row.n) });
  }
  captions.sort((a, b) => a.imageIndex - b.imageIndex || a.n - b.n);
  const perImage = new Uint16Array(images.length);
  for (const c of captions) perImage[c.imageIndex]++;
  const missing = perImage.findIndex((k) => k === 0);
  if (missing >= 0) throw new VlmError(`Flickr8k: no ${lang} caption for ${images[missing]} (${split} split)`);
  return { split, lang, images, imagePaths: images.map((f) => join(dir, 'images', f)), captions };
}
