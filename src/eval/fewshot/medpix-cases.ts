import type { Encoder } from '../../encoders/encoder.js';
import { CaseIndex, type CaseHit, type TextMatch } from '../../apps/classify/cases.js';
import { normalizeRows, stack } from '../../apps/classify/matrix.js';
import { loadMedpix, type MedpixRecord } from '../../train/datasets/medpix.js';
import { embedTextsBatched } from '../embed-batched.js';
import { EmbeddingCache } from './embedding-cache.js';

export const RESEARCH_NOTE = 'Research and teaching use only: similar MedPix cases are not a diagnosis and must not guide patient care.';

const meta = (r: MedpixRecord) => ({
  modality: r.modality, modality_detail: r.modality_detail, plane: r.plane, location: r.location,
  location_category: r.location_category, case_title: r.case_title,
});

/** The MedPix TRAIN cases as a case index (image embeddings cached on disk per encoder; captions embedded in English). */
export async function medpixCaseIndex(encoder: Encoder, opts: { quiet?: boolean; diskCache?: boolean; batchSize?: number } = {}): Promise<CaseIndex> {
  const train = loadMedpix('train');
  const cache = new EmbeddingCache(encoder, 'medpix', { disk: opts.diskCache });
  const imgs = await cache.get(train.map((r) => ({ key: r.file, input: () => r.path, label: 0 })), { quiet: opts.quiet, batchSize: opts.batchSize, label: 'medpix train' });
  const caps = await embedTextsBatched(encoder, train.map((r) => r.caption || r.case_title), { lang: 'en', quiet: opts.quiet, label: 'medpix captions' });
  return new CaseIndex(
    train.map((r) => ({ id: r.file, caseId: r.case_id, path: r.path, caption: r.caption, meta: meta(r) })),
    normalizeRows(stack(imgs, encoder.dim)),
    normalizeRows(stack(caps, encoder.dim)),
  );
}

export interface PrecisionAtK {
  location: number;
  modality: number;
  /** Both location_category and modality match. */
  both: number;
}

export interface CaseRetrievalResult {
  task: 'case-retrieval';
  dataset: 'medpix';
  model: string;
  k: number;
  n_queries: number;
  n_train_cases: number;
  /** Precision@k (0-1) of TEST queries against TRAIN cases. */
  image: PrecisionAtK;
  text_image: PrecisionAtK;
  text_caption: PrecisionAtK;
  text_fused: PrecisionAtK;
  /** Expected precision of k random train cases. */
  chance: PrecisionAtK;
  note: string;
  seconds: number;
}

/**
 * Precision@k of case retrieval on MedPix: every TEST image (and its caption, as a text query) retrieves
 * k TRAIN cases; a hit is relevant when its location_category (and, separately, modality) matches the
 * query's. The split is by case, so no query can find its own case.
 */
export async function evalMedpixCases(encoder: Encoder, opts: { k?: number; quiet?: boolean; diskCache?: boolean; batchSize?: number } = {}): Promise<CaseRetrievalResult> {
  const start = Date.now();
  const k = opts.k ?? 5;
  const index = await medpixCaseIndex(encoder, opts);
  const test = loadMedpix('test');
  const cache = new EmbeddingCache(encoder, 'medpix', { disk: opts.diskCache });
  const qImg = await cache.get(test.map((r) => ({ key: r.file, input: () => r.path, label: 0 })), { quiet: opts.quiet, batchSize: opts.batchSize, label: 'medpix test' });
  const qTxt = await embedTextsBatched(encoder, test.map((r) => r.caption || r.case_title), { lang: 'en', quiet: opts.quiet });
  const score = (search: (i: number) => CaseHit[]): PrecisionAtK => {
    const s = { location: 0, modality: 0, both: 0 };
    test.forEach((r, i) => {
      const hits = search(i);
      for (const h of hits) {
        const loc = h.meta.location_category === r.location_category;
        const mod = h.meta.modality === r.modality;
        s.location += loc ? 1 : 0;
        s.modality += mod ? 1 : 0;
        s.both += loc && mod ? 1 : 0;
      }
    });
    const n = test.length * k;
    return { location: s.location / n, modality: s.modality / n, both: s.both / n };
  };
  // Chance: a random train case (each case counted once, by its first image) matching a test image.
  const firstOfCase = new Map<string, MedpixRecord>();
  for (const r of loadMedpix('train')) if (!firstOfCase.has(r.case_id)) firstOfCase.set(r.case_id, r);
  const cases = [...firstOfCase.values()];
  const share = (f: (c: MedpixRecord, r: MedpixRecord) => boolean) => test.reduce((a, r) => a + cases.filter((c) => f(c, r)).length / cases.length, 0) / test.length;
  return {
    task: 'case-retrieval',
    dataset: 'medpix',
    model: encoder.id,
    k,
    n_queries: test.length,
    n_train_cases: cases.length,
    image: score((i) => index.searchImage(qImg[i], k)),
    text_image: score((i) => index.searchText(qTxt[i], k, 'image')),
    text_caption: score((i) => index.searchText(qTxt[i], k, 'caption')),
    text_fused: score((i) => index.searchText(qTxt[i], k, 'fused')),
    chance: {
      location: share((c, r) => c.location_category === r.location_category),
      modality: share((c, r) => c.modality === r.modality),
      both: share((c, r) => c.location_category === r.location_category && c.modality === r.modality),
    },
    note: RESEARCH_NOTE,
    seconds: (Date.now() - start) / 1000,
  };
}

export type { TextMatch };
