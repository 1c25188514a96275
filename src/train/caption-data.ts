import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { decodeHalf } from '../model/feature-cache-float16.js';
import { featurePaths, readFeatureIndex } from '../model/feature-cache.js';
import type { CaptionLang } from '../model/caption-vocab.js';
import { loadFlickr8k, type Flickr8kSplit } from './datasets/flickr8k.js';
import { VlmError } from '../util/errors.js';
import { memoryRowLength, type CaptionDecoderConfig } from '../model/caption-config.js';
import { readDetectionCache, type DetectionCache } from '../model/detector-cache.js';

/** One Flickr8k split's images with their 5 English and 5 Chinese captions each. */
export interface CaptionSplit {
  images: string[];
  captions: Record<CaptionLang, string[][]>;
}

export function loadCaptionSplit(split: Flickr8kSplit): CaptionSplit {
  const en = loadFlickr8k(split, 'en');
  const zh = loadFlickr8k(split, 'zh');
  const group = (d: typeof en) => {
    const out: string[][] = d.images.map(() => []);
    for (const c of d.captions) out[c.imageIndex].push(c.text);
    return out;
  };
  if (en.images.join() !== zh.images.join()) throw new VlmError(`Flickr8k ${split}: English and Chinese image lists differ`);
  return { images: en.images, captions: { en: group(en), zh: group(zh) } };
}

/**
 * Cached spatial maps (f16 on disk) kept as raw half floats in memory and widened per batch:
 * the 8,091 x 7x7x1792 map is 1.4 GB as f16, twice that as f32.
 */
export class MapRows {
  readonly dim: number;
  readonly shape: number[];
  private readonly half: Uint16Array;
  private readonly rowOf: Map<string, number>;

  /** opts.only: read just these images' rows (evaluation), not the whole matrix. */
  constructor(tower: string, tap: string, opts: { flip?: boolean; only?: string[] } = {}) {
    const index = readFeatureIndex(tower, tap, { flip: opts.flip });
    if (index.dtype !== 'f16') throw new VlmError(`${tower}/${tap}: expected an f16 cache, found ${index.dtype}`);
    this.dim = index.dim;
    this.shape = index.shape;
    const all = new Map(index.names.map((n, i) => [n, i]));
    const path = featurePaths(tower, tap, { flip: opts.flip }).bin;
    const fd = openSync(path, 'r');
    try {
      if (opts.only) {
        const rowBytes = this.dim * 2;
        this.half = new Uint16Array(opts.only.length * this.dim);
        const bytes = new Uint8Array(this.half.buffer);
        this.rowOf = new Map();
        opts.only.forEach((n, i) => {
          const r = all.get(n);
          if (r === undefined) throw new VlmError(`feature cache ${tower}/${tap} has no row for ${n}`);
          readSync(fd, bytes, i * rowBytes, rowBytes, r * rowBytes);
          this.rowOf.set(n, i);
        });
      } else {
        this.rowOf = all;
        const size = fstatSync(fd).size;
        this.half = new Uint16Array(size / 2);
        const bytes = new Uint8Array(this.half.buffer);
        // Read in 256 MB pieces: one readSync call cannot fill more than 2 GB.
        for (let off = 0; off < size; ) off += readSync(fd, bytes, off, Math.min(1 << 28, size - off), off);
      }
    } finally {
      closeSync(fd);
    }
  }

  has(name: string): boolean {
    return this.rowOf.has(name);
  }

  /** Rows of `names`, widened to float32, into out (names.length x dim). */
  gather(names: string[], out = new Float32Array(names.length * this.dim)): Float32Array {
    names.forEach((n, i) => {
      const r = this.rowOf.get(n);
      if (r === undefined) throw new VlmError(`feature cache has no row for ${n}`);
      decodeHalf(this.half.subarray(r * this.dim, (r + 1) * this.dim), out.subarray(i * this.dim, (i + 1) * this.dim));
    });
    return out;
  }
}

/**
 * The caption decoder's input rows from caches: each image's map, followed by its detector row when the decoder
 * takes one (the layout memoryRow builds at inference).
 */
export class DecoderRows {
  readonly dim: number;
  private readonly det?: DetectionCache;

  constructor(
    readonly maps: MapRows,
    cfg: Pick<CaptionDecoderConfig, 'map_shape' | 'detector'>,
  ) {
    this.dim = memoryRowLength(cfg);
    if (cfg.detector) {
      this.det = readDetectionCache(cfg.detector.kind);
      if (this.det.dim !== cfg.detector.dim) throw new VlmError(`detector cache rows have ${this.det.dim} floats, the decoder takes ${cfg.detector.dim}`);
    }
    if (this.dim !== maps.dim + (this.det?.dim ?? 0)) throw new VlmError(`map cache rows have ${maps.dim} floats, the decoder expects ${this.dim - (this.det?.dim ?? 0)}`);
  }

  /** Rows of `names` into out (names.length x dim); `from` picks another map cache (e.g. mirrored maps) per image. */
  gather(names: string[], out = new Float32Array(names.length * this.dim), from: (i: number) => MapRows = () => this.maps): Float32Array {
    const m = this.maps.dim;
    names.forEach((n, i) => {
      from(i).gather([n], out.subarray(i * this.dim, i * this.dim + m));
      if (this.det) {
        const r = this.det.row(n);
        if (!r) throw new VlmError(`the detector cache has no row for ${n}: run \`node dist/scripts/cache-detections.js\``);
        out.set(r, i * this.dim + m);
      }
    });
    return out;
  }
}
