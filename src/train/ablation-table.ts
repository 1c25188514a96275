import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readModelConfig, type ModelConfig } from '../model/config.js';
import { RESULT_FILE, type TrainResult } from './train.js';

/**
 * The dev ablation table (docs/training.md, MODEL_CARD.md) from finished runs: one row per run folder, read from its
 * train_result.json (dev numbers of the saved best checkpoint) and config.json (what was varied).
 *
 *   node dist/src/train/ablation-table.js .cache/runs/<name> ...   (markdown on stdout)
 */
export interface RunSummary {
  name: string;
  dir: string;
  config: ModelConfig;
  result: TrainResult & { config?: string };
}

export function readRun(dir: string): RunSummary | undefined {
  const res = join(dir, RESULT_FILE);
  if (!existsSync(res) || !existsSync(join(dir, 'config.json'))) return undefined;
  return {
    name: basename(dir),
    dir,
    config: readModelConfig(join(dir, 'config.json')),
    result: JSON.parse(readFileSync(res, 'utf8')) as RunSummary['result'],
  };
}

function describeImage(c: ModelConfig): string {
  const inputs = c.image.inputs.map((s) =>
    s.source === 'tower'
      ? `${s.tower.replace('mobilenet_v2_mid', 'mid').replace('inception_v3', 'inc')}:${s.pool ? `${s.tap.replace(/_map$/, '')} attn-pool ${s.pool.heads}h` : s.tap}`
      : `det:${s.detector}`,
  );
  return `${inputs.join(' + ')} → ${c.image.head.type === 'mlp' ? `MLP ${c.image.head.hidden}` : 'linear'}`;
}

/** flip and/or cached crop views, as the run's config asked for them */
function augmentation(c: ModelConfig): string {
  const views = [c.training?.flip_augment === false ? '' : 'flip', c.training?.crop_views ? `${c.training.crop_views} crop` : ''].filter(Boolean);
  return views.length ? views.join(' + ') : 'none';
}

const f1 = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(1));

export function ablationTable(runs: RunSummary[]): string {
  const hasZh = runs.some((r) => r.result.dev?.langs.zh);
  const cols = ['run', 'image inputs → head', 'text', 'loss', 'augment', 'steps', 'min', 'EN T→I R@1/5/10', 'EN I→T R@1/5/10', 'EN mean R@10'];
  if (hasZh) cols.push('ZH T→I R@1/5/10', 'ZH I→T R@1/5/10');
  const head = `| ${cols.join(' | ')} |`;
  const sep = `|${cols.map(() => '---').join('|')}|`;
  const rows = runs.map(({ name, config: c, result: r }) => {
    const d = r.dev;
    const en = d?.langs.en;
    const zh = d?.langs.zh;
    const tri = (s?: { r1: number; r5: number; r10: number }) => (s ? `${f1(s.r1)} / ${f1(s.r5)} / ${f1(s.r10)}` : '–');
    const text = c.text.layers === 0 ? `BoW ${c.text.d_model}` : `${c.text.layers}×${c.text.d_model}`;
    const cells = [
      name, describeImage(c), text, c.loss.type, augmentation(c), String(r.steps), r.wallMinutes.toFixed(1),
      tri(en?.t2i), tri(en?.i2t), en ? f1((en.t2i.r10 + en.i2t.r10) / 2) : '–',
    ];
    if (hasZh) cells.push(tri(zh?.t2i), tri(zh?.i2t));
    return `| ${cells.join(' | ')} |`;
  });
  return [head, sep, ...rows].join('\n') + '\n';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = process.argv.slice(2).map((d) => readRun(d)).filter((r): r is RunSummary => r !== undefined);
  process.stdout.write(ablationTable(runs));
}
