/**
 * Interpolate two caption decoders of the same shape and vocabulary (weight-space ensembling, as WiSE-FT does for
 * a fine-tuned model and its start): out = (1 - t) x A + t x B for every parameter and the token table.
 *   node dist/scripts/caption-average.js --a models/coco --b .cache/runs/caption-coco-scst/best --t 0.5 --out <dir>
 * The output folder gets caption.json (A's, with the interpolation recorded under training) and caption.safetensors.
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadCaptionModel, saveCaptionModel } from '../src/model/caption-model.js';
import { tf } from '../src/model/tf.js';
import { UsageError } from '../src/util/errors.js';

const { values } = parseArgs({ options: { a: { type: 'string' }, b: { type: 'string' }, t: { type: 'string', default: '0.5' }, out: { type: 'string' } } });
if (!values.a || !values.b || !values.out) throw new UsageError('usage: caption-average.js --a DIR --b DIR [--t 0.5] --out DIR');
const t = Number(values.t);
if (!(t >= 0 && t <= 1)) throw new UsageError(`--t must be in [0, 1] (got ${values.t})`);
const A = await loadCaptionModel(resolve(values.a));
const B = await loadCaptionModel(resolve(values.b));
if (JSON.stringify(A.config.vocab) !== JSON.stringify(B.config.vocab)) throw new UsageError('the two decoders have different vocabularies');
for (const [name, v] of A.params.vars) {
  const w = B.params.vars.get(name);
  if (!w || w.shape.join() !== v.shape.join()) throw new UsageError(`parameter ${name} differs in shape or is missing in --b`);
  v.assign(tf.tidy(() => tf.add(tf.mul(v, 1 - t), tf.mul(w, t))));
}
A.embedding.data.forEach((x, i) => (A.embedding.data[i] = (1 - t) * x + t * B.embedding.data[i]));
mkdirSync(resolve(values.out), { recursive: true });
saveCaptionModel(A, resolve(values.out), { training: { ...A.config.training, interpolated: { a: values.a, b: values.b, t, a_training: A.config.training, b_training: B.config.training } } });
A.dispose();
B.dispose();
console.log(JSON.stringify({ out: resolve(values.out), t }));
