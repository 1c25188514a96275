import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { l2normalize, type EmbedTextOptions, type Encoder } from '../../src/encoders/encoder.js';
import type { ImageInput } from '../../src/image/types.js';
import { evalRetrieval } from '../../src/eval/run-retrieval.js';
import { evalZeroShot } from '../../src/eval/run-zeroshot.js';
import { loadFlickr8k } from '../../src/train/datasets/flickr8k.js';
import { loadGtsrb } from '../../src/train/datasets/gtsrb.js';
import { datasetDir, fashionMnistDir } from '../../src/util/paths.js';
import { ColourEncoder } from './colour-encoder.js';

/**
 * An Encoder that knows the answers: images and texts embed as one-hot vectors of the item they belong
 * to. The runners must then score perfectly (or, with `shift`, never): this catches any misalignment of
 * captions, images, labels or batches between loading and scoring.
 */
class OracleEncoder implements Encoder {
  readonly id = 'test-oracle';
  constructor(
    readonly dim: number,
    private imageKey: (input: ImageInput) => number,
    private textKey: (text: string) => number,
    private shift = 0,
  ) {}
  private onehot(k: number): Float32Array {
    const v = new Float32Array(this.dim);
    v[(k + this.shift) % this.dim] = 1;
    return l2normalize(v);
  }
  async embedImages(inputs: ImageInput[]) {
    return inputs.map((x) => this.onehot(this.imageKey(x)));
  }
  async embedTexts(texts: string[], _opts?: EmbedTextOptions) {
    return texts.map((t) => this.onehot(this.textKey(t)));
  }
  dispose() {}
}

const noFlickr = datasetDir('flickr8k') ? false : 'needs ../shared/data/flickr8k (or VLM_DATA)';
const noGtsrb = datasetDir('gtsrb') ? false : 'needs ../shared/data/gtsrb (or VLM_DATA)';
const noFashion = fashionMnistDir() ? false : 'needs the Debian package dataset-fashion-mnist';

test('retrieval runner: a perfect encoder scores R@1 = 100, a shifted one 0 (Flickr8k test, 40 images)', { skip: noFlickr }, async () => {
  const d = loadFlickr8k('test', 'zh-human');
  const imageOf = new Map(d.images.map((f, i) => [f, i]));
  // Some captions repeat across images (Flickr8k-CN 'zh' has 240 such texts in test); none within these 40.
  const first = d.captions.filter((c) => c.imageIndex < 40);
  const captionImage = new Map(first.map((c) => [c.text, c.imageIndex]));
  assert.equal(captionImage.size, 200, 'precondition: 200 distinct captions');
  const imageKey = (x: ImageInput) => imageOf.get(basename(x as string)) as number;
  const textKey = (t: string) => captionImage.get(t) as number;
  const opts = { dataset: 'flickr8k', split: 'test', lang: 'zh-human', limit: 40, batchSize: 7, quiet: true } as const;

  const good = await evalRetrieval(new OracleEncoder(1000, imageKey, textKey), opts);
  assert.deepEqual([good.n_images, good.n_texts, good.model, good.lang], [40, 200, 'test-oracle', 'zh-human']);
  assert.deepEqual(good.t2i, { r1: 100, r5: 100, r10: 100, medr: 1, meanr: 1 });
  assert.deepEqual(good.i2t, { r1: 100, r5: 100, r10: 100, medr: 1, meanr: 1 });

  // Texts point at image k+1: every correct pair now scores 0 and ties with 38 other images.
  const bad = await evalRetrieval(new OracleEncoder(1000, imageKey, (t) => textKey(t) + 999), opts);
  assert.equal(bad.t2i.r1, 0);
  assert.equal(bad.i2t.r1, 0);
});

test('zero-shot runner: a perfect GTSRB encoder gets 100% in en and zh; counts add up', { skip: noGtsrb }, async () => {
  const g = loadGtsrb();
  const labelOf = new Map([...g.train, ...g.test].map((x) => [x.path, x.label]));
  for (const lang of ['en', 'zh'] as const) {
    const names = g.classes.map((c) => c[lang]);
    // The class whose name is the longest one inside the prompt ("end of no passing" before "no passing").
    const textKey = (t: string) => names.map((n, i) => [n, i] as const).filter(([n]) => t.includes(n)).sort((a, b) => b[0].length - a[0].length)[0][1];
    const r = await evalZeroShot(new OracleEncoder(43, (x) => labelOf.get(x as string) as number, textKey), { dataset: 'gtsrb', lang, limit: 300, quiet: true });
    assert.equal(r.n, 300);
    assert.equal(r.accuracy, 1, lang);
    assert.equal(r.top5, 1);
    assert.equal(r.chance, 1 / 43);
    assert.equal(r.confusion.flat().reduce((a, b) => a + b, 0), 300);
    assert.equal(r.per_class.reduce((a, c) => a + c.n, 0), 300);
    assert.equal(r.labels[14], lang === 'en' ? 'stop' : '停车');
  }
});

test('zero-shot runner on Fashion-MNIST with the colour encoder: a seeded subset, consistent metrics', { skip: noFashion }, async () => {
  const opts = { dataset: 'fashion-mnist', lang: 'zh', limit: 120, seed: 5, quiet: true } as const;
  const a = await evalZeroShot(new ColourEncoder(), opts);
  const b = await evalZeroShot(new ColourEncoder(), opts);
  assert.deepEqual(a.confusion, b.confusion); // same subset, same answers
  assert.equal(a.n, 120);
  assert.equal(a.labels[0], 'T恤');
  const trace = a.confusion.reduce((s, row, i) => s + row[i], 0);
  assert.equal(a.accuracy, trace / 120);
  assert.ok(a.top5 >= a.accuracy);
});
