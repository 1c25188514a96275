import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageInputDim, imageInputKey, parseModelConfig, readModelConfig } from '../../src/model/config.js';
import { UsageError } from '../../src/util/errors.js';
import { repoRoot } from '../../src/util/paths.js';

const minimal = {
  format: 'vlm-dual-encoder', version: 1, name: 'm', embed_dim: 64,
  image: { inputs: [{ source: 'tower', tower: 'inception_v3', tap: 'final_gap', dim: 2048 }, { source: 'detector', detector: 'centernet', dim: 160 }] },
};

test('a minimal config gets defaults filled in', () => {
  const c = parseModelConfig(minimal);
  assert.equal(c.text.d_model, 128);
  assert.equal(c.loss.type, 'infonce');
  assert.equal(c.image.head.type, 'mlp');
  assert.equal(c.training, undefined);
  assert.equal(imageInputDim(c), 2208);
  assert.deepEqual(c.image.inputs.map(imageInputKey), ['inception_v3/final_gap', 'detector/centernet']);
  // Parsing is idempotent: a saved config reads back identical.
  assert.deepEqual(parseModelConfig(JSON.parse(JSON.stringify(c))), c);
});

test('every problem of a bad config is reported at once, with its path', () => {
  const bad = {
    ...minimal, embed_dim: 0, extra: 1,
    image: { inputs: [{ source: 'tower', tower: 'resnet', tap: 'x', dim: 3 }], head: { type: 'deep' } },
    text: { d_model: 130, heads: 4, pooling: 'max' },
    loss: { type: 'triplet' },
    training: { batch_size: 1, langs: ['fr'] },
  };
  let err: unknown;
  try {
    parseModelConfig(bad, 'bad.json');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof UsageError);
  const msg = (err as Error).message;
  for (const want of [
    'bad.json is not a valid model config', 'embed_dim must be >= 1', 'extra is not a known setting',
    'image.inputs[0].tower must be one of', 'image.head.type must be one of', 'text.pooling must be one of',
    'text.d_model (130) must be divisible by text.heads (4)', 'loss.type must be one of', 'training.batch_size must be >= 2',
    'training.langs must be a non-empty list',
  ]) assert.ok(msg.includes(want), `missing "${want}" in:\n${msg}`);
  assert.throws(() => parseModelConfig([]), /must be a JSON object/);
  assert.throws(() => parseModelConfig({ ...minimal, format: 'x' }), /format must be "vlm-dual-encoder"/);
});

test('the shipped recipes in configs/ are valid', () => {
  const dir = join(repoRoot, 'configs');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    /* no recipes yet */
  }
  for (const f of files) {
    // Other recipes share the folder (configs/caption.json trains the caption decoder): dual-encoder recipes say
    // their format or have an image section.
    const obj = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    if (obj.format === undefined && obj.image === undefined) continue;
    const c = readModelConfig(join(dir, f));
    assert.ok(c.training, `${f} has no training section`);
  }
});
