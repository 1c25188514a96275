import { InputError } from '../../util/errors.js';
import { mulABt, type Mat } from './matrix.js';

/**
 * Case retrieval: the training cases most similar to a query image or text, one hit per case (a case
 * has several images; the best-matching one represents it). Research use: similar-looking cases are a
 * reading aid for teaching and search, never a diagnosis.
 */
export interface CaseItem {
  /** The image's id (e.g. its file name). */
  id: string;
  caseId: string;
  path: string;
  caption: string;
  /** Anything to show or score with the hit (modality, location, title...). */
  meta: Record<string, string | number | null>;
}

export interface CaseHit {
  caseId: string;
  id: string;
  path: string;
  caption: string;
  score: number;
  meta: CaseItem['meta'];
}

export type TextMatch = 'image' | 'caption' | 'fused';

export class CaseIndex {
  constructor(
    readonly items: CaseItem[],
    /** L2-normalised image embeddings, one row per item. */
    private readonly images: Mat,
    /** L2-normalised caption embeddings, one row per item (null: text queries match images only). */
    private readonly captions: Mat | null,
  ) {
    if (images.rows !== items.length || (captions && captions.rows !== items.length)) throw new InputError('one embedding per case image is needed');
  }

  /** Best k cases by cosine similarity of the query image to each case's images. */
  searchImage(query: Float32Array, k: number, opts: { excludeCase?: string } = {}): CaseHit[] {
    return this.top(mulABt(asRow(query), this.images), k, opts.excludeCase);
  }

  /**
   * Best k cases for a text: against the images (cross-modal), the captions (text to text), or both
   * fused by reciprocal rank (Cormack et al. 2009: robust when the two similarity scales differ).
   */
  searchText(query: Float32Array, k: number, match: TextMatch = 'fused', opts: { excludeCase?: string } = {}): CaseHit[] {
    if (match !== 'image' && !this.captions) throw new InputError('this case index has no caption embeddings: match text against images');
    if (match === 'image') return this.top(mulABt(asRow(query), this.images), k, opts.excludeCase);
    const cap = mulABt(asRow(query), this.captions as Mat);
    if (match === 'caption') return this.top(cap, k, opts.excludeCase);
    const img = mulABt(asRow(query), this.images);
    const fused = new Float64Array(this.items.length);
    for (const s of [img, cap]) {
      const order = [...s.keys()].sort((a, b) => s[b] - s[a]);
      order.forEach((i, r) => (fused[i] += 1 / (60 + r + 1)));
    }
    return this.top(fused, k, opts.excludeCase);
  }

  private top(scores: Float64Array, k: number, excludeCase?: string): CaseHit[] {
    const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a]);
    const seen = new Set<string>();
    const hits: CaseHit[] = [];
    for (const i of order) {
      const it = this.items[i];
      if (it.caseId === excludeCase || seen.has(it.caseId)) continue;
      seen.add(it.caseId);
      hits.push({ caseId: it.caseId, id: it.id, path: it.path, caption: it.caption, score: scores[i], meta: it.meta });
      if (hits.length === k) break;
    }
    return hits;
  }
}

function asRow(v: Float32Array): Mat {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  return { rows: 1, cols: v.length, data: v.map((x) => x / n) };
}
