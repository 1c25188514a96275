import type { Encoder, Lang } from '../../encoders/encoder.js';
import { UsageError } from '../../util/errors.js';
import { log } from '../../util/log.js';
import { embedImagesSafely } from '../embed-images.js';
import { makeAdapterFile, type AdapterFeatures, type AdapterFile } from './adapter.js';
import type { FewShotMethod } from './fewshot-model.js';
import { fitFewShot } from './fit-fewshot.js';
import { matToJson, normalizeRows, stack, type Mat } from './matrix.js';
import { promptName, readSupportFolder } from './support-folder.js';
import { centreRows, meanRow, parseTowerFeatures, towerFeatureEncoder, towerFeaturesName } from './tower-features.js';
import { labelVectors, type LabelSpec } from './zero-shot.js';

export interface TrainAdapterOptions {
  method: FewShotMethod;
  /** Prompt language for the zero-shot prior; default: detected from the class names. */
  lang?: Lang;
  /** Prompt-template set; default generic. */
  domain?: string;
  /**
   * Class names for folders (label-file lines "folder: name, synonym, ..."): the class is then called by
   * the first name and prompted with all of them, e.g. "14: stop, stop sign" for GTSRB's numbered folders.
   * Folders without a line keep their folder name.
   */
  names?: LabelSpec[];
  seed?: number;
  /**
   * What to fit on: "embedding" (default: works with any Encoder) or taps of the model's frozen image tower,
   * e.g. "tower:b13_g2" (our own models only; see tower-features.ts). Tower features have no text prior.
   */
  features?: string;
  /** The model folder the encoder was loaded from (for tower features: which tower). */
  modelDir?: string;
  /** Called for each unreadable image (default: a warning on stderr). */
  onSkip?: (path: string, reason: string) => void;
}

export interface TrainedAdapter {
  adapter: AdapterFile;
  skipped: { path: string; reason: string }[];
  /** Classes dropped because none of their images could be read. */
  droppedClasses: string[];
}

/** Methods that use the zero-shot class vectors as a prior. */
export function usesPrior(method: FewShotMethod): boolean {
  return method !== 'prototype';
}

/**
 * `vlm fewshot train <dir>`: embed `<dir>/<label>/*` once, fit the method, return the adapter.
 * Unreadable images are skipped (reported through onSkip); a class left without any readable image is
 * dropped with a warning, and fewer than two classes is an error.
 */
export async function trainAdapterFromFolder(encoder: Encoder, dir: string, opts: TrainAdapterOptions): Promise<TrainedAdapter> {
  const tower = parseTowerFeatures(opts.features, opts.modelDir);
  if (tower && opts.method === 'zeroshot') throw new UsageError('--method zeroshot reads the embedding (the text side lives there): drop --features');
  const folder = readSupportFolder(dir);
  for (const name of folder.empty) log(`vlm: warning: ${folder.dir}/${name} holds no images; class left out`);
  const onSkip = opts.onSkip ?? ((path, reason) => log(`vlm: skipped ${path}: ${reason}`));
  const skipped: TrainedAdapter['skipped'] = [];
  const vectors: Float32Array[] = [];
  const labels: number[] = [];
  const labelOf = new Map(folder.items.map((x) => [x.path, x.label]));
  const source = tower ? towerFeatureEncoder(tower) : encoder;
  try {
    for await (const r of embedImagesSafely(source, folder.items.map((x) => x.path))) {
      if ('error' in r) {
        skipped.push({ path: r.item, reason: r.error });
        onSkip(r.item, r.error);
        continue;
      }
      vectors.push(r.embedding);
      labels.push(labelOf.get(r.item) as number);
    }
  } finally {
    if (source !== encoder) await source.dispose();
  }
  // Renumber the classes that kept at least one readable image.
  const kept = folder.labels.map((_, c) => labels.includes(c));
  const droppedClasses = folder.labels.filter((_, c) => !kept[c]);
  for (const name of droppedClasses) log(`vlm: warning: no readable image of class "${name}"; class left out`);
  const names = folder.labels.filter((_, c) => kept[c]);
  const newIndex = new Map(folder.labels.map((_, c) => [c, kept.slice(0, c).filter(Boolean).length]));
  if (names.length < 2) {
    throw new UsageError(`only ${names.length} class(es) with readable images in ${folder.dir}: a classifier needs at least two`);
  }
  const y = labels.map((c) => newIndex.get(c) as number);
  // Tower features are centred on the mean of the examples (kept in the adapter for the images it will classify).
  let features: AdapterFeatures | undefined;
  if (tower) {
    const centre = meanRow(vectors);
    centreRows(vectors, centre);
    features = { kind: 'tower', spec: towerFeaturesName(tower), tower: tower.tower, taps: tower.taps, dim: centre.length, centre: matToJson({ rows: 1, cols: centre.length, data: centre }) };
  }
  const X: Mat = tower ? stack(vectors, source.dim) : normalizeRows(stack(vectors, encoder.dim));

  const named = new Map((opts.names ?? []).filter((s) => s.synonyms.length).map((s) => [s.label, s.synonyms]));
  const unknown = (opts.names ?? []).filter((s) => !folder.labels.includes(s.label)).map((s) => s.label);
  if (unknown.length) log(`vlm: warning: the labels file names folders that are not in ${folder.dir}: ${unknown.slice(0, 5).join(', ')}`);
  const classNames = names.map((n) => named.get(n)?.[0] ?? n);
  if (new Set(classNames).size !== classNames.length) throw new UsageError('two classes have the same name: give each folder its own name in the labels file');

  let prompts: AdapterFile['prompts'] = null;
  let zeroShot: Mat | null = null;
  if (usesPrior(opts.method) && !tower) {
    const specs = names.map((n) => {
      const all = named.get(n) ?? [promptName(n)];
      return { label: all[0], synonyms: all.slice(1) };
    });
    const domain = opts.domain ?? 'generic';
    const cv = await labelVectors(encoder, specs, { lang: opts.lang, domain });
    zeroShot = stack(cv.weights, encoder.dim);
    prompts = { lang: cv.lang, domain, templates: cv.templates, names: specs.map((s) => [s.label, ...s.synonyms]) };
  }
  const fit = fitFewShot(opts.method, { X, y, classes: names.length, zeroShot, seed: opts.seed ?? 0 });
  const perClass = names.map((_, c) => y.filter((v) => v === c).length);
  const adapter = makeAdapterFile(fit, {
    encoder,
    labels: classNames,
    prompts,
    support: { examples: y.length, per_class: perClass, skipped: skipped.length, source: folder.dir, folders: names },
    features,
  });
  return { adapter, skipped, droppedClasses };
}
