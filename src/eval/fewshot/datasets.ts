import type { Lang } from '../../encoders/encoder.js';
import type { ImageInput } from '../../image/types.js';
import { fashionMnistClasses, grayToRgb, loadFashionMnistSplit } from '../../train/datasets/fashion-mnist.js';
import { loadGtsrb } from '../../train/datasets/gtsrb.js';
import { loadMedpix, type MedpixRecord } from '../../train/datasets/medpix.js';
import { UsageError } from '../../util/errors.js';
import type { PromptDomain } from '../prompts.js';

export const FEWSHOT_DATASETS = ['gtsrb', 'fashion-mnist', 'medpix'] as const;
export type FewShotDataset = (typeof FEWSHOT_DATASETS)[number];
export const MEDPIX_TASKS = ['modality', 'plane', 'location'] as const;
export type MedpixTask = (typeof MEDPIX_TASKS)[number];

export interface SetItem {
  /** Stable id of the image within the dataset (embedding-cache key). */
  key: string;
  input: () => ImageInput;
  label: number;
}

/** A labelled few-shot benchmark: support sets are drawn from train, accuracy is measured on test. */
export interface FewShotSet {
  /** e.g. "gtsrb", "medpix-modality". */
  name: string;
  dataset: FewShotDataset;
  task: MedpixTask | null;
  /** Class names used in prompts, in the chosen language. */
  labels: string[];
  /** English class names for reports. */
  names: string[];
  domain: PromptDomain;
  train: SetItem[];
  test: SetItem[];
}

/**
 * MedPix classification tasks. Plane keeps the three standard planes ("Transverse" is another name
 * for axial); views such as "3D Reconstruction" or "Photograph" are left out. Location is the
 * five-way location_category. Prompt names are what a radiologist would write after "a ... scan".
 */
const MEDPIX: Record<MedpixTask, { field: (r: MedpixRecord) => string | null; classes: { value: string; en: string; zh: string }[] }> = {
  modality: {
    field: (r) => r.modality,
    classes: [{ value: 'CT', en: 'CT', zh: 'CT' }, { value: 'MRI', en: 'MRI', zh: '核磁共振' }],
  },
  plane: {
    field: (r) => (r.plane === 'Transverse' ? 'Axial' : r.plane),
    classes: [
      { value: 'Axial', en: 'axial', zh: '横断面' },
      { value: 'Coronal', en: 'coronal', zh: '冠状面' },
      { value: 'Sagittal', en: 'sagittal', zh: '矢状面' },
    ],
  },
  location: {
    field: (r) => r.location_category,
    classes: [
      { value: 'Head', en: 'head', zh: '头部' },
      { value: 'Thorax', en: 'chest', zh: '胸部' },
      { value: 'Abdomen', en: 'abdomen', zh: '腹部' },
      { value: 'Spine and Muscles', en: 'spine and muscles', zh: '脊柱和肌肉' },
      { value: 'Reproductive and Urinary System', en: 'reproductive and urinary system', zh: '生殖泌尿系统' },
    ],
  },
};

export function medpixTaskClasses(task: MedpixTask): { value: string; en: string; zh: string }[] {
  return MEDPIX[task].classes;
}

/** The label of a MedPix record for a task, or -1 when the task does not cover it. */
export function medpixLabel(task: MedpixTask, r: MedpixRecord): number {
  const v = MEDPIX[task].field(r);
  return MEDPIX[task].classes.findIndex((c) => c.value === v);
}

export function loadFewShotSet(dataset: string, lang: Lang, task?: string): FewShotSet {
  if (dataset === 'gtsrb') {
    const g = loadGtsrb();
    const item = (x: { path: string; label: number }, dir: string) => ({ key: `${dir}/${x.path.split('/').slice(-2).join('/')}`, input: () => x.path, label: x.label });
    return {
      name: 'gtsrb', dataset, task: null, domain: 'traffic',
      labels: g.classes.map((c) => c[lang]), names: g.classes.map((c) => c.en),
      train: g.train.map((x) => item(x, 'train')), test: g.test.map((x) => item(x, 'test')),
    };
  }
  if (dataset === 'fashion-mnist') {
    const classes = fashionMnistClasses();
    const split = (s: 'train' | 'test'): SetItem[] => {
      const f = loadFashionMnistSplit(s);
      return f.images.map((px, i) => ({ key: `${s}/${i}`, input: () => grayToRgb(px, f.width, f.height), label: f.labels[i] }));
    };
    return {
      name: 'fashion-mnist', dataset, task: null, domain: 'fashion',
      labels: classes.map((c) => c[lang]), names: classes.map((c) => c.name),
      train: split('train'), test: split('test'),
    };
  }
  if (dataset === 'medpix') {
    const t = (task ?? 'modality') as MedpixTask;
    if (!MEDPIX_TASKS.includes(t)) throw new UsageError(`unknown MedPix --task "${task}": use ${MEDPIX_TASKS.join(', ')}`);
    const split = (s: 'train' | 'test'): SetItem[] =>
      loadMedpix(s)
        .map((r) => ({ key: r.file, input: () => r.path, label: medpixLabel(t, r) }))
        .filter((x) => x.label >= 0);
    const classes = MEDPIX[t].classes;
    return {
      name: `medpix-${t}`, dataset, task: t, domain: 'medical',
      labels: classes.map((c) => c[lang]), names: classes.map((c) => c.value),
      train: split('train'), test: split('test'),
    };
  }
  throw new UsageError(`few-shot evaluation supports --dataset ${FEWSHOT_DATASETS.join(', ')} (got "${dataset}")`);
}
