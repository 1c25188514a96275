import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ablationTable, readRun } from '../../src/train/ablation-table.js';

const stats = (r1: number, r5: number, r10: number) => ({ r1, r5, r10, medr: 20, meanr: 50 });

function writeRun(root: string, name: string, config: object, result: object | undefined): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  if (result) writeFileSync(join(dir, 'train_result.json'), JSON.stringify(result));
  return dir;
}

test('ablation table: one row per finished run folder, with what was varied and R@1/5/10 both ways', () => {
  const root = mkdtempSync(join(tmpdir(), 'vlm-abl-'));
  const base = { format: 'vlm-dual-encoder', version: 1, embed_dim: 8, text: { layers: 2, d_model: 16, heads: 2 } };
  const attn = writeRun(root, 'attn', {
    ...base, name: 'a',
    image: { inputs: [{ source: 'tower', tower: 'mobilenet_v2_mid', tap: 'final_map', dim: 98, pool: { type: 'attention', heads: 2, channels: 2 } }, { source: 'detector', detector: 'centernet', dim: 160 }] },
    loss: { type: 'sigmoid' }, training: { flip_augment: false },
  }, { steps: 147, wallMinutes: 12.34, bestEpoch: 1, history: [{}], dev: { langs: { en: { t2i: stats(5, 16.04, 25), i2t: stats(6, 17, 27) } }, meanRecall: 16 } });
  const unfinished = writeRun(root, 'running', { ...base, name: 'r', image: { inputs: [{ source: 'tower', tower: 'inception_v3', tap: 'final_gap', dim: 4 }] } }, undefined);
  assert.equal(readRun(unfinished), undefined);
  const run = readRun(attn);
  assert.ok(run);
  const lines = ablationTable([run]).trim().split('\n');
  assert.equal(lines.length, 3);
  const cells = lines[2].split('|').map((c) => c.trim());
  assert.deepEqual(cells.slice(1, -1), ['attn', 'mid:final attn-pool 2h + det:centernet → MLP 1024', '2×16', 'sigmoid', 'none', '147', '12.3', '5.0 / 16.0 / 25.0', '6.0 / 17.0 / 27.0', '26.0']);
  assert.ok(!lines[0].includes('ZH'), 'no Chinese columns without Chinese dev numbers');
  const crop = readRun(writeRun(root, 'crop', { ...base, name: 'c', image: { inputs: [{ source: 'tower', tower: 'mobilenet_v2_mid', tap: 'final_gap', dim: 4 }] }, loss: { type: 'infonce' }, training: { crop_views: 2 } },
    { steps: 10, wallMinutes: 1, bestEpoch: 1, history: [{}], dev: { langs: { en: { t2i: stats(1, 2, 3), i2t: stats(1, 2, 3) } }, meanRecall: 2 } }));
  assert.ok(crop);
  assert.equal(ablationTable([crop]).trim().split('\n')[2].split('|').map((c) => c.trim())[5], 'flip + 2 crop');
});
