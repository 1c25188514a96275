/**
 * The caption memory: each training image's embedding under the model folder's contrastive model, with its
 * reference captions in each language. Re-ranking weighs a beam candidate by its consensus with what people wrote
 * about the image's nearest training images (CIDEr-D against their captions; Devlin et al. 2015, "Exploring
 * Nearest Neighbor Approaches for Image Captioning"). Measured on the Flickr8k dev split: docs/captions.md.
 *
 * Files in the model folder: caption_memory.safetensors (embeddings, F16, images x dim) and caption_memory.json
 * (image names, captions per language, and the id of the encoder whose embeddings they are).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dot } from '../../encoders/encoder.js';
import { float16BitsToFloat32, readSafetensors, toFloat16, writeSafetensors } from '../../model/safetensors.js';
import type { CaptionLang } from '../../model/caption-vocab.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { VlmError } from '../../util/errors.js';
import { ciderD, ciderDocFreq, metricTokens, type CiderDocFreq } from '../../eval/caption-metrics/index.js';

export const MEMORY_TENSORS = 'caption_memory.safetensors';
export const MEMORY_JSON = 'caption_memory.json';

export interface CaptionMemoryData {
  /** the id of the encoder (the folder's contrastive model: Encoder.id names its exact weights) the embeddings were made with */
  encoderId: string;
  /** where the images and captions come from, e.g. "Flickr8k train" */
  source: string;
  images: string[];
  dim: number;
  /** images.length x dim, each row L2-normalised */
  embeddings: Float32Array;
  /** per language, per image (same order as images), its reference captions */
  captions: Partial<Record<CaptionLang, string[][]>>;
}

export function writeCaptionMemory(dir: string, m: CaptionMemoryData): void {
  if (m.embeddings.length !== m.images.length * m.dim) throw new VlmError(`caption memory: ${m.embeddings.length} values for ${m.images.length} images x ${m.dim}`);
  for (const [lang, caps] of Object.entries(m.captions)) {
    if (caps.length !== m.images.length) throw new VlmError(`caption memory: ${caps.length} ${lang} caption sets for ${m.images.length} images`);
  }
  writeSafetensors(join(dir, MEMORY_TENSORS), { embeddings: { dtype: 'F16', shape: [m.images.length, m.dim], data: toFloat16(m.embeddings) } }, { encoder: m.encoderId });
  const json = { format: 'vlm-caption-memory', version: 1, encoder: m.encoderId, source: m.source, images: m.images, captions: m.captions };
  writeFileAtomic(join(dir, MEMORY_JSON), JSON.stringify(json));
}

/** The memory of a model folder; `encoderId` is the folder's encoder, whose embeddings the memory must hold. */
export function readCaptionMemory(dir: string, encoderId: string): CaptionMemory {
  const rebuild = `rebuild it with \`node dist/scripts/caption-memory.js --model ${dir}\``;
  if (!existsSync(join(dir, MEMORY_JSON)) || !existsSync(join(dir, MEMORY_TENSORS))) {
    throw new VlmError(`${dir}: caption.json asks for the caption memory but ${MEMORY_JSON} / ${MEMORY_TENSORS} are missing: ${rebuild}`);
  }
  let meta: { format?: string; encoder?: string; source?: string; images?: string[]; captions?: CaptionMemoryData['captions'] };
  try {
    meta = JSON.parse(readFileSync(join(dir, MEMORY_JSON), 'utf8'));
  } catch (e) {
    throw new VlmError(`${join(dir, MEMORY_JSON)} is not valid JSON: ${rebuild}`, { cause: e });
  }
  if (meta.format !== 'vlm-caption-memory' || !Array.isArray(meta.images) || typeof meta.captions !== 'object') throw new VlmError(`${join(dir, MEMORY_JSON)} is not a caption memory: ${rebuild}`);
  if (meta.encoder !== encoderId) throw new VlmError(`${dir}: the caption memory holds embeddings of ${String(meta.encoder)}, but the folder's model is ${encoderId}: ${rebuild}`);
  const t = readSafetensors(join(dir, MEMORY_TENSORS)).tensors.get('embeddings');
  if (!t || t.dtype !== 'F16' || t.shape.length !== 2 || t.shape[0] !== meta.images.length) throw new VlmError(`${join(dir, MEMORY_TENSORS)} does not match ${MEMORY_JSON}: ${rebuild}`);
  const emb = new Float32Array(t.data.length);
  for (let i = 0; i < emb.length; i++) emb[i] = float16BitsToFloat32((t.data as Uint16Array)[i]);
  return new CaptionMemory({ encoderId, source: meta.source ?? '', images: meta.images, dim: t.shape[1], embeddings: emb, captions: meta.captions });
}

export class CaptionMemory {
  private tokens = new Map<CaptionLang, { refs: string[][][]; docFreq: CiderDocFreq }>();
  constructor(readonly data: CaptionMemoryData) {}

  get size(): number {
    return this.data.images.length;
  }

  /** Indices of the k memory images most similar (cosine) to an image embedding, most similar first. */
  neighbours(emb: Float32Array, k: number): number[] {
    const { dim, embeddings } = this.data;
    if (emb.length !== dim) throw new VlmError(`caption memory: image embedding has ${emb.length} values, the memory ${dim}`);
    const sims = Array.from({ length: this.size }, (_, i) => dot(emb, embeddings.subarray(i * dim, (i + 1) * dim)));
    return sims.map((_, i) => i).sort((a, b) => sims[b] - sims[a]).slice(0, k);
  }

  /**
   * Each candidate's CIDEr-D against the captions of the image's k nearest memory images, with document
   * frequencies from the whole memory (so a rare word shared with the neighbours counts for more).
   */
  consensus(candidates: string[], emb: Float32Array, lang: CaptionLang, k: number): number[] {
    const t = this.langTokens(lang);
    const refs = this.neighbours(emb, k).flatMap((i) => t.refs[i]);
    const hyps = candidates.map((c) => metricTokens(c, lang));
    return ciderD(hyps, hyps.map(() => refs), { docFreq: t.docFreq }).perImage;
  }

  private langTokens(lang: CaptionLang) {
    let t = this.tokens.get(lang);
    if (!t) {
      const caps = this.data.captions[lang];
      if (!caps) throw new VlmError(`the caption memory has no ${lang} captions (it has ${Object.keys(this.data.captions).join(', ') || 'none'})`);
      const refs = caps.map((cs) => cs.map((c) => metricTokens(c, lang)));
      t = { refs, docFreq: ciderDocFreq(refs) };
      this.tokens.set(lang, t);
    }
    return t;
  }
}
