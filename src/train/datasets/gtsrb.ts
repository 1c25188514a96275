import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VlmError } from '../../util/errors.js';
import { readTsv } from './tsv.js';
import { readLabelNames } from './label-names.js';
import { requireDataset, requireFile } from './require-dataset.js';

export interface GtsrbClass {
  id: number;
  /** Clean English prompt name (src/eval/labels/gtsrb.json). */
  en: string;
  /** German folder name from the source repo (ASCII spelling). */
  de: string;
  /** Chinese prompt name (src/eval/labels/gtsrb.json). */
  zh: string;
  /** The usual English GTSRB class name from classes.tsv. */
  official: string;
}

export interface LabelledImage {
  path: string;
  label: number;
}

export interface Gtsrb {
  classes: GtsrbClass[];
  /** 40 images per class, sorted by (class, file). */
  train: LabelledImage[];
  /** In test.tsv order. */
  test: LabelledImage[];
}

export function loadGtsrb(): Gtsrb {
  const dir = requireDataset('gtsrb', 'GTSRB');
  const names = readLabelNames('gtsrb.json');
  const classes = readTsv(requireFile(join(dir, 'classes.tsv'), 'GTSRB')).map((row, i): GtsrbClass => {
    const id = Number(row.id);
    const extra = names.find((n) => n.id === id);
    if (id !== i || !extra) throw new VlmError(`GTSRB: class ${row.id} of classes.tsv has no entry in src/eval/labels/gtsrb.json`);
    return { id, en: extra.en, de: row.name_de, zh: extra.zh, official: row.name_en };
  });
  const train: LabelledImage[] = [];
  for (const c of classes) {
    const classDir = requireFile(join(dir, 'train', String(c.id)), 'GTSRB');
    for (const f of readdirSync(classDir).filter((f) => f.endsWith('.png')).sort()) {
      train.push({ path: join(classDir, f), label: c.id });
    }
  }
  const test = readTsv(requireFile(join(dir, 'test', 'test.tsv'), 'GTSRB')).map((row) => {
    const label = Number(row.class_id);
    if (!Number.isInteger(label) || label < 0 || label >= classes.length) {
      throw new VlmError(`GTSRB: test.tsv gives ${row.file} the unknown class "${row.class_id}"`);
    }
    return { path: join(dir, 'test', row.file), label };
  });
  return { classes, train, test };
}
