import type { ImageInputSpec, ModelConfig } from '../model/config.js';
import { imageInputKey } from '../model/config.js';
import { readDetectionCache } from '../model/detector-cache.js';
import { readFileSync } from 'node:fs';
import { decodeHalf } from '../model/feature-cache-float16.js';
import { cropVariant } from '../model/feature-cache-crops.js';
import { featurePaths, readFeatureCache, readFeatureIndex, selectRows, type FeatureVariant } from '../model/feature-cache.js';
import type { MixedTokenizer } from '../text/tokenizer.js';
import { VlmError } from '../util/errors.js';
import { loadFlickr8k, type Flickr8kLang, type Flickr8kSplit } from './datasets/flickr8k.js';

/** Frozen features of one image-head input for the images of a split, original and mirrored. */
export interface FeatureTable {
  key: string;
  dim: number;
  /** images x dim, rows in split image order. */
  orig: Float32Array;
  /** Same for the horizontally flipped images (equals orig for inputs without a flip variant). */
  flip: Float32Array;
  /** Random-resized crop views crop0, crop1, ... (training's crop_views; absent when not loaded). */
  crops?: Float32Array[];
}

export interface EncodedCaption {
  imageIndex: number;
  lang: Flickr8kLang;
  /** [CLS] ... [SEP] token ids, unpadded. */
  ids: Int32Array;
}

export interface SplitData {
  split: Flickr8kSplit;
  images: string[];
  features: FeatureTable[];
  captions: EncodedCaption[];
}

/**
 * Rows of one input's cached features for the given images, orig + flip + `cropViews` crop views (detector scores
 * have no flip or crop variants: the whole image's scores stand in for them).
 */
export function loadFeatureTable(spec: ImageInputSpec, images: string[], cropViews = 0): FeatureTable {
  const key = imageInputKey(spec);
  if (spec.source === 'detector') {
    const cache = readDetectionCache(spec.detector);
    const orig = new Float32Array(images.length * spec.dim);
    images.forEach((name, i) => {
      const row = cache.row(name);
      if (!row) throw new VlmError(`detector cache ${spec.detector} has no row for ${name}${cache.complete ? '' : ' (the cache is still being written)'}`);
      if (row.length !== spec.dim) throw new VlmError(`detector cache ${spec.detector}: dim ${row.length}, config says ${spec.dim}`);
      orig.set(row, i * spec.dim);
    });
    return { key, dim: spec.dim, orig, flip: orig, ...(cropViews ? { crops: Array.from({ length: cropViews }, () => orig) } : {}) };
  }
  const read = (variant: FeatureVariant): Float32Array => {
    const sel = { dataset: 'flickr8k', variant };
    if (readFeatureIndex(spec.tower, spec.tap, sel).dtype === 'f16') return readHalfRows(spec.tower, spec.tap, sel, images, spec.dim, key);
    const m = readFeatureCache(spec.tower, spec.tap, sel);
    if (m.dim !== spec.dim) throw new VlmError(`cached features ${key} have dim ${m.dim}, config says ${spec.dim}`);
    return selectRows(m, images);
  };
  const table: FeatureTable = { key, dim: spec.dim, orig: read('orig'), flip: read('flip') };
  if (cropViews) table.crops = Array.from({ length: cropViews }, (_, k) => read(cropVariant(k)));
  return table;
}

/**
 * Rows of an f16 cache decoded one by one: the spatial maps (7x7x1792) would take 2.8 GB per variant as a whole
 * float32 matrix; this holds the raw half-precision file (1.4 GB) plus only the selected rows.
 */
function readHalfRows(tower: string, tap: string, sel: { dataset: string; variant: FeatureVariant }, images: string[], dim: number, key: string): Float32Array {
  const index = readFeatureIndex(tower, tap, sel);
  if (index.dim !== dim) throw new VlmError(`cached features ${key} have dim ${index.dim}, config says ${dim}`);
  const buf = readFileSync(featurePaths(tower, tap, sel).bin);
  const half = buf.byteOffset % 2 === 0 ? new Uint16Array(buf.buffer, buf.byteOffset, buf.length / 2) : new Uint16Array(Uint8Array.from(buf).buffer);
  const byName = new Map(index.names.map((n, i) => [n, i]));
  const out = new Float32Array(images.length * dim);
  images.forEach((name, i) => {
    const r = byName.get(name);
    if (r === undefined) throw new VlmError(`feature cache ${key} has no row for ${name}`);
    decodeHalf(half.subarray(r * dim, (r + 1) * dim), out.subarray(i * dim, (i + 1) * dim));
  });
  return out;
}

/** Features and tokenized captions of one Flickr8k split (never mixes splits); crop views only when asked (train). */
export function loadSplitData(cfg: ModelConfig, split: Flickr8kSplit, langs: Flickr8kLang[], tokenizer: MixedTokenizer, opts: { cropViews?: number } = {}): SplitData {
  let images: string[] | undefined;
  const captions: EncodedCaption[] = [];
  for (const lang of langs) {
    const ds = loadFlickr8k(split, lang);
    if (images && images.join('\n') !== ds.images.join('\n')) throw new VlmError(`Flickr8k ${split}: caption files disagree on the image list`);
    images = ds.images;
    for (const c of ds.captions) {
      captions.push({ imageIndex: c.imageIndex, lang, ids: Int32Array.from(tokenizer.encode(c.text, { maxLength: cfg.text.max_length })) });
    }
  }
  if (!images) throw new VlmError('no caption languages given');
  const features = cfg.image.inputs.map((s) => loadFeatureTable(s, images!, opts.cropViews ?? 0));
  return { split, images, features, captions };
}

/** Pad a list of id sequences into a batch (PAD = 0). */
export function padBatch(seqs: Int32Array[]): { ids: Int32Array; mask: Float32Array; length: number } {
  const length = Math.max(...seqs.map((s) => s.length));
  const ids = new Int32Array(seqs.length * length);
  const mask = new Float32Array(seqs.length * length);
  seqs.forEach((s, i) => {
    ids.set(s, i * length);
    mask.fill(1, i * length, i * length + s.length);
  });
  return { ids, mask, length };
}
