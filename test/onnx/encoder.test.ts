import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAllFixtures, writeFixture, FIXTURE_KINDS, type Fixture, type FixtureKind } from '../../scripts/fixtures/checkpoints.js';
import { referenceText, referenceVision } from '../../scripts/fixtures/reference.js';
import type { Variant } from '../../scripts/fixtures/towers.js';
import { fromHalf, toHalf } from '../../src/encoders/onnx/float16.js';
import { loadOnnxEncoder, type OnnxEncoder } from '../../src/encoders/onnx/index.js';
import type { RgbImage } from '../../src/image/types.js';
import { createRng } from '../../src/util/rng.js';

let root: string;
let fixtures: Record<FixtureKind, Fixture>;
const open: OnnxEncoder[] = [];

async function load(dir: string, variant: Variant = 'fp32'): Promise<OnnxEncoder> {
  const enc = await loadOnnxEncoder(dir, { variant, threads: 1 });
  open.push(enc);
  return enc;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'vlm-onnx-'));
  fixtures = writeAllFixtures(root);
});

after(async () => {
  for (const e of open) await e.dispose();
  rmSync(root, { recursive: true, force: true });
});

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function normalized(v: ArrayLike<number>): number[] {
  const n = norm(v);
  return Array.from(v, (x) => x / n);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomImages(n: number, size: number, seed: number): RgbImage[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({ width: size, height: size, data: Uint8Array.from({ length: size * size * 3 }, () => Math.floor(rng() * 256)) }));
}

/** pixel_values computed by hand: images already at the model's size, so preprocessing is only rescale + normalise + NCHW. */
function pixelValues(images: RgbImage[], pp: Record<string, unknown>): Float32Array {
  const mean = pp.image_mean as number[], std = pp.image_std as number[];
  const { width: w, height: h } = images[0];
  const out = new Float32Array(images.length * 3 * w * h);
  images.forEach((img, b) => {
    for (let c = 0; c < 3; c++) for (let i = 0; i < w * h; i++) out[(b * 3 + c) * w * h + i] = (img.data[i * 3 + c] / 255 - mean[c]) / std[c];
  });
  return out;
}

/** Token ids for whole-word texts straight from the fixture vocabulary, one family's way. */
function expectedIds(f: Fixture, words: string[]): number[] {
  const model = f.tokenizer.tokenizer.model as { vocab: Record<string, number> | [string, number][] };
  if (f.spec.kind === 'siglip') {
    const pieces = (model.vocab as [string, number][]).map(([p]) => p);
    const id = (p: string): number => {
      assert.ok(pieces.includes(p), `fixture vocab lacks ${p}`);
      return pieces.indexOf(p);
    };
    return [...words.map((w) => id('▁' + w)), id('</s>')];
  }
  const vocab = model.vocab as Record<string, number>;
  const id = (p: string): number => {
    assert.ok(p in vocab, `fixture vocab lacks ${p}`);
    return vocab[p];
  };
  if (f.spec.kind === 'clip') return [id('<|startoftext|>'), ...words.map((w) => id(w + '</w>')), id('<|endoftext|>')];
  return [id('[CLS]'), ...words.flatMap((w) => (/[a-z]/.test(w) ? [id(w)] : [...w].map(id))), id('[SEP]')];
}

/** The reference embedding of one text, evaluated alone (SigLIP padded to its fixed 64 as the model expects). */
function referenceTextEmbedding(f: Fixture, variant: Variant, ids: number[]): number[] {
  const row = f.spec.kind === 'siglip' ? [...ids, ...new Array<number>(64 - ids.length).fill(1)] : ids;
  const raw = referenceText(f.spec.text, f.effective(variant).text, [row], [row.map(() => 1)], [row.map(() => 0)])[0];
  return normalized(variant === 'fp16' ? Array.from(raw, (x) => fromHalf(toHalf(x))) : raw);
}

const TEXTS: Record<FixtureKind, { text: string; words: string[] }[]> = {
  clip: [
    { text: 'a photo of a dog', words: ['a', 'photo', 'of', 'a', 'dog'] },
    { text: 'A CAT', words: ['a', 'cat'] },
    { text: 'the dog is playing with a ball', words: ['the', 'dog', 'is', 'playing', 'with', 'a', 'ball'] },
  ],
  siglip: [
    { text: 'a photo of a dog', words: ['a', 'photo', 'of', 'a', 'dog'] },
    { text: 'a cat', words: ['a', 'cat'] },
    { text: 'people walk in the city street', words: ['people', 'walk', 'in', 'the', 'city', 'street'] },
  ],
  chinese_clip: [
    { text: '一张狗的照片', words: ['一张狗的照片'] },
    { text: 'a dog', words: ['a', 'dog'] },
    { text: '一只猫在沙发上睡觉', words: ['一只猫在沙发上睡觉'] },
  ],
};

for (const kind of FIXTURE_KINDS) {
  describe(`onnx encoder on the ${kind} fixture`, () => {
    test('loads, with the dimension and id of the checkpoint', async () => {
      const f = fixtures[kind];
      const enc = await load(f.dir);
      assert.equal(enc.dim, f.spec.text.embed);
      assert.match(enc.id, new RegExp(`^onnx:${kind}:tiny-${kind.replace('_', '-')}:fp32:[0-9a-f]{10}$`));
      assert.equal((await load(f.dir)).id, enc.id, 'id is stable across loads');
      assert.notEqual((await load(f.dir, 'quantized')).id, enc.id, 'variants have distinct ids');
      // same architecture, config and file sizes, other weights (a fine-tune): another model, another id
      const other = writeFixture(kind, join(root, `${kind}-other`), { seed: 1000 }); // writeAllFixtures used seeds 1-3
      const otherId = (await load(other.dir)).id;
      assert.equal(otherId.slice(0, -10), enc.id.slice(0, -10));
      assert.notEqual(otherId, enc.id, 'different weights give a different id');
    });

    test('embeddings are L2-normalised and deterministic', async () => {
      const f = fixtures[kind];
      const a = await load(f.dir), b = await load(f.dir);
      const texts = TEXTS[kind].map((t) => t.text);
      const images = randomImages(3, f.spec.vision.image, 11);
      const [t1, t2, i1, i2] = [await a.embedTexts(texts), await b.embedTexts(texts), await a.embedImages(images), await b.embedImages(images)];
      for (const v of [...t1, ...i1]) {
        assert.equal(v.length, f.spec.text.embed);
        assert.ok(Math.abs(norm(v) - 1) < 1e-5, `norm ${norm(v)}`);
      }
      assert.deepEqual(t1, t2);
      assert.deepEqual(i1, i2);
      assert.ok(maxAbsDiff(t1[0], t1[1]) > 1e-3, 'different texts give different embeddings');
      assert.ok(maxAbsDiff(i1[0], i1[1]) > 1e-3, 'different images give different embeddings');
    });

    test('a batch gives the same embeddings as one item at a time', async () => {
      const f = fixtures[kind];
      const enc = await load(f.dir);
      const texts = [...TEXTS[kind].map((t) => t.text), 'a', ''];
      const batch = await enc.embedTexts(texts);
      for (let i = 0; i < texts.length; i++) assert.ok(maxAbsDiff(batch[i], (await enc.embedTexts([texts[i]]))[0]) < 1e-5, `text ${i}`);
      const images = randomImages(5, f.spec.vision.image + 9, 5);
      const imgBatch = await enc.embedImages(images);
      for (let i = 0; i < images.length; i++) assert.ok(maxAbsDiff(imgBatch[i], (await enc.embedImages([images[i]]))[0]) < 1e-5, `image ${i}`);
    });

    for (const variant of ['fp32', 'quantized', 'fp16'] as const) {
      // fp16 graphs round weights, the pixel input and the output to half precision
      const tol = variant === 'fp16' ? 3e-3 : 1e-4;
      test(`${variant}: matches the graph evaluated in plain TypeScript from the generated weights`, async () => {
        const f = fixtures[kind];
        const enc = await load(f.dir, variant);
        const cases = TEXTS[kind];
        const got = await enc.embedTexts(cases.map((c) => c.text));
        cases.forEach((c, i) => {
          const want = referenceTextEmbedding(f, variant, expectedIds(f, c.words));
          assert.ok(maxAbsDiff(got[i], want) < tol, `text "${c.text}": ${maxAbsDiff(got[i], want)}`);
        });
        const images = randomImages(3, f.spec.vision.image, 3);
        let px = pixelValues(images, f.spec.preprocessor);
        if (variant === 'fp16') px = px.map((x) => fromHalf(toHalf(x)));
        const raw = referenceVision(f.spec.vision, f.effective(variant).vision, px, images.length);
        const gotImages = await enc.embedImages(images);
        raw.forEach((r, i) => {
          const want = normalized(variant === 'fp16' ? Array.from(r, (x) => fromHalf(toHalf(x))) : r);
          assert.ok(maxAbsDiff(gotImages[i], want) < tol, `image ${i}: ${maxAbsDiff(gotImages[i], want)}`);
        });
      });
    }

    test('the quantized variant is a different graph, close to fp32', async () => {
      const f = fixtures[kind];
      const [fp32, q] = [await load(f.dir), await load(f.dir, 'quantized')];
      const texts = TEXTS[kind].map((t) => t.text);
      const [a, b] = [await fp32.embedTexts(texts), await q.embedTexts(texts)];
      for (let i = 0; i < texts.length; i++) {
        const d = maxAbsDiff(a[i], b[i]);
        assert.ok(d > 1e-4 && d < 0.1, `quantized vs fp32 differ by ${d}`);
      }
    });
  });
}

test('a combined model.onnx gives the same embeddings as the per-tower graphs', async () => {
  const f = fixtures.clip;
  const dir = join(root, 'clip-combined');
  cpSync(f.dir, dir, { recursive: true });
  for (const v of ['', '_quantized', '_fp16']) for (const t of ['text_model', 'vision_model']) rmSync(join(dir, 'onnx', `${t}${v}.onnx`));
  const [split, combined] = [await load(f.dir), await load(dir)];
  const texts = TEXTS.clip.map((t) => t.text);
  const images = randomImages(2, 50, 9);
  const [ts, tc, is, ic] = [await split.embedTexts(texts), await combined.embedTexts(texts), await split.embedImages(images), await combined.embedImages(images)];
  for (let i = 0; i < texts.length; i++) assert.ok(maxAbsDiff(ts[i], tc[i]) < 1e-5);
  for (let i = 0; i < images.length; i++) assert.ok(maxAbsDiff(is[i], ic[i]) < 1e-5);
});

test('many images are embedded in several runs, in input order', async () => {
  const f = fixtures.siglip;
  const enc = await loadOnnxEncoder(f.dir, { threads: 1, imageBatch: 4, textBatch: 3 });
  open.push(enc);
  const images = randomImages(10, 30, 21);
  const all = await enc.embedImages(images);
  assert.equal(all.length, 10);
  const last = await enc.embedImages(images.slice(8));
  assert.ok(maxAbsDiff(all[9], last[1]) < 1e-5);
  const texts = ['a', 'a dog', 'a cat', 'a photo of a cat', 'the dog', 'a red car', 'a bike'];
  const tv = await enc.embedTexts(texts);
  assert.equal(tv.length, texts.length);
  assert.ok(maxAbsDiff(tv[6], (await enc.embedTexts(['a bike']))[0]) < 1e-5);
  assert.deepEqual(await enc.embedImages([]), []);
  assert.deepEqual(await enc.embedTexts([]), []);
});

test('a corrupt image is refused with an error naming it', async () => {
  const enc = await load(fixtures.clip.dir);
  const bad = join(root, 'not-an-image.jpg');
  cpSync(join(fixtures.clip.dir, 'config.json'), bad);
  await assert.rejects(enc.embedImages([bad]), (err: Error) => err.message.includes('not-an-image.jpg'));
});
