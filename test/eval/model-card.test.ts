import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEvalResults, saveEvalResult, writeModelCard } from '../../src/eval/model-card.js';
import { retrievalMetrics } from '../../src/eval/retrieval-metrics.js';
import { accuracy } from '../../src/eval/classification-metrics.js';

test('the card is rendered from eval/*.json: numbers, their commands, and nothing hidden', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-card-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ name: 'tiny-test', embed_dim: 3, loss: { type: 'infonce' } }));
    const m = retrievalMetrics(Float32Array.from([0.9, 0.1, 0.3, 0.5, 0.2, 0.8, 0.4, 0.7]), 4, 2, [0, 0, 1, 1]);
    saveEvalResult(dir, 'retrieval-test-en', { task: 'retrieval', t2i: m.t2i, i2t: m.i2t, dataset: 'flickr8k', split: 'test', lang: 'en', n_images: 2, n_texts: 4 }, 'vlm eval retrieval --dataset flickr8k --split test --json');
    saveEvalResult(dir, 'zeroshot-gtsrb-en', { task: 'zeroshot', accuracy: accuracy([0, 1, 1], [0, 1, 0]), top5: 1, chance: 1 / 43, dataset: 'gtsrb', split: 'test', lang: 'en', n: 3 }, 'vlm eval zeroshot --dataset gtsrb --json');
    saveEvalResult(dir, 'train-loss', { final_loss: 1.23456, epochs: 3 }, 'vlm train --config configs/default.json');
    mkdirSync(join(dir, 'plots'));
    writeFileSync(join(dir, 'plots', 'loss.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');

    assert.equal(loadEvalResults(dir).size, 3);
    const path = writeModelCard(dir, [
      { heading: 'Retrieval', text: 'Flickr8k test.', results: ['retrieval-test-en'] },
      { heading: 'Zero-shot', results: ['zeroshot-gtsrb-en'], figures: [{ path: 'plots/loss.svg', caption: 'loss' }] },
    ], { title: 'tiny' });
    const card = readFileSync(path, 'utf8');
    // The retrieval numbers come from the metric code above, not from this test's text.
    const row = card.split('\n').find((l) => l.startsWith('| flickr8k'));
    assert.ok(row, card);
    assert.ok(row.includes(`| ${m.t2i.r1.toFixed(1)} |`), row);
    assert.ok(row.includes('`vlm eval retrieval --dataset flickr8k --split test --json`'), row);
    const zs = card.split('\n').find((l) => l.startsWith('| gtsrb'));
    assert.ok(zs?.includes('| 66.7 |') && zs.includes('| 2.3 |') && zs.includes('`vlm eval zeroshot --dataset gtsrb --json`'), zs);
    assert.ok(card.includes('## Other measured results') && card.includes('final_loss = 1.235') && card.includes('`vlm train --config configs/default.json`'));
    assert.ok(card.includes('- name: tiny-test') && card.includes('"type": "infonce"') && card.includes('![loss](plots/loss.svg)'));

    assert.throws(() => writeModelCard(dir, [{ heading: 'x', results: ['never-measured'] }]), /never-measured\.json: run the evaluation first/);
    assert.throws(() => saveEvalResult(dir, '../escape', {}, 'cmd'), /may only hold/);
    assert.throws(() => saveEvalResult(dir, 'x', {}, ' '), /needs the command/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
