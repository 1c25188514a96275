import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, VlmError } from '../../util/errors.js';
import { readList } from './tsv.js';
import { requireDataset, requireFile } from './require-dataset.js';

export type MedpixSplit = 'train' | 'dev' | 'test';

/** One MedPix 2.0 image with its description (fields as in records.jsonl; see ../shared/data/README.md). */
export interface MedpixRecord {
  file: string;
  path: string;
  case_id: string;
  modality: 'CT' | 'MRI';
  modality_detail: string;
  plane: string | null;
  location: string;
  location_category: string;
  caption: string;
  age: number | null;
  sex: 'male' | 'female' | null;
  split: MedpixSplit;
  case_title: string;
  width: number;
  height: number;
}

/** All records, or one split in the order of its list file (train.txt / dev.txt / test.txt). */
export function loadMedpix(split?: MedpixSplit): MedpixRecord[] {
  if (split !== undefined && !['train', 'dev', 'test'].includes(split)) {
    throw new UsageError(`unknown MedPix split "${split}": use train, dev or test`);
  }
  const dir = requireDataset('medpix', 'MedPix');
  const text = readFileSync(requireFile(join(dir, 'records.jsonl'), 'MedPix'), 'utf8');
  const byFile = new Map<string, MedpixRecord>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: Omit<MedpixRecord, 'path'>;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new VlmError(`MedPix: records.jsonl line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
    byFile.set(raw.file, { ...raw, path: join(dir, 'images', raw.file) });
  });
  if (split === undefined) return [...byFile.values()];
  return readList(requireFile(join(dir, `${split}.txt`), 'MedPix')).map((f) => {
    const rec = byFile.get(f);
    if (!rec) throw new VlmError(`MedPix: ${split}.txt lists ${f}, which records.jsonl does not describe`);
    if (rec.split !== split) throw new VlmError(`MedPix: ${f} is in ${split}.txt but records.jsonl says split ${rec.split}`);
    return rec;
  });
}
