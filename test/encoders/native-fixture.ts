import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveVlmModel } from '../../src/model/checkpoint.js';
import { parseModelConfig } from '../../src/model/config.js';
import { initTf } from '../../src/model/tf.js';
import { initTokenEmbedding } from '../../src/model/token-embedding.js';
import { VlmModel } from '../../src/model/vlm-model.js';
import { MixedTokenizer } from '../../src/text/tokenizer.js';
import { createRng } from '../../src/util/rng.js';

/**
 * A tiny native model folder (random weights, real frozen tower) with the given image inputs, e.g.
 * [{ source: 'tower', tower: 'mobilenet_v2_mid', tap: 'final_gap', dim: 1792 }]: lets tests take code paths
 * that depend on the model's inputs whatever the shipped default model has. Returns the folder (a temp dir).
 */
export async function writeNativeModel(inputs: object[], seed = 3): Promise<string> {
  await initTf();
  const tokenizer = MixedTokenizer.fromJSON({
    type: 'vlm-mixed', version: 1, lowercase: true, maxLength: 8,
    specials: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[UNK_ZH]'], en: ['a', 'dog'], zh: ['狗'],
  });
  const cfg = parseModelConfig({
    format: 'vlm-dual-encoder', version: 1, name: 'native-fixture', embed_dim: 6,
    image: { inputs, head: { type: 'mlp', hidden: 7 }, flip_tta: false },
    text: { max_length: 8, word_dim: 4, d_model: 8, layers: 1, heads: 2 },
    loss: { type: 'infonce' },
  });
  const rng = createRng(seed);
  const model = new VlmModel(cfg, initTokenEmbedding({ rows: tokenizer.vocabSize, dim: 4, enOffset: 5, rng, trainable: 'all' }), rng);
  const dir = mkdtempSync(join(tmpdir(), 'vlm-native-model-'));
  saveVlmModel(model, tokenizer, dir);
  model.dispose();
  return dir;
}

export const MID_FINAL_GAP = { source: 'tower', tower: 'mobilenet_v2_mid', tap: 'final_gap', dim: 1792 };
export const CENTERNET_INPUT = { source: 'detector', detector: 'centernet', dim: 160 };
