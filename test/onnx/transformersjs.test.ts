import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAllFixtures, FIXTURE_KINDS, type Fixture, type FixtureKind } from '../../scripts/fixtures/checkpoints.js';
import { loadOnnxEncoder } from '../../src/encoders/onnx/index.js';
import type { RgbImage } from '../../src/image/types.js';
import { repoRoot } from '../../src/util/paths.js';
import { createRng } from '../../src/util/rng.js';

/** transformers.js (a devDependency, pinned to the release that uses our onnxruntime-node) is the reference; vlm itself does not need it. */
function hasTransformersJs(): boolean {
  try {
    createRequire(join(repoRoot, 'package.json')).resolve('@huggingface/transformers');
    return true;
  } catch {
    return false;
  }
}
const skip = hasTransformersJs() ? false : 'needs the @huggingface/transformers devDependency (npm install)';

let root: string;
let fixtures: Record<FixtureKind, Fixture>;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'vlm-onnx-tjs-'));
  fixtures = writeAllFixtures(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Embeddings from transformers.js' own tokenizer, processor and model classes, in a child process. */
function transformersJs(kind: FixtureKind, dir: string, texts: string[], images: RgbImage[]): { texts: number[][]; images: number[][] } {
  const input = JSON.stringify({ dir, kind, texts, images: images.map((im) => ({ width: im.width, height: im.height, data: Buffer.from(im.data).toString('base64') })) });
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'scripts', 'fixtures', 'transformersjs-embed.js')], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { texts: number[][]; images: number[][] };
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

function maxAbsDiffNormalised(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const na = Math.hypot(...Array.from(a)), nb = Math.hypot(...Array.from(b));
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] / na - b[i] / nb));
  return m;
}

/** What Python's SiglipTokenizer does before SentencePiece (transformers.js does not): lower case, drop string.punctuation, squeeze spaces. */
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const pythonSiglip = (t: string): string => [...t.toLowerCase()].filter((c) => !PUNCTUATION.includes(c)).join('').split(/\s+/).filter(Boolean).join(' ');

const TEXTS = ['a photo of a dog', 'A Cat sleeps on the SOFA.', 'two children  play in the park!', '一只狗在草地上奔跑', 'a zebra', ''];

/** Two random images at the model's input size (no resize: compared exactly) and a 3:2 synthetic photo (resized and cropped). */
function images(f: Fixture): RgbImage[] {
  const rng = createRng(99);
  const s = f.spec.vision.image;
  const atSize = Array.from({ length: 2 }, () => ({ width: s, height: s, data: Uint8Array.from({ length: s * s * 3 }, () => Math.floor(rng() * 256)) }));
  const w = 90, h = 60;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([(x * 255) / w, (y * 255) / h, ((x + y) * 127) / (w + h) + 64], (y * w + x) * 3);
  return [...atSize, { width: w, height: h, data }];
}

for (const kind of FIXTURE_KINDS) {
  describe(`the ${kind} fixture through vlm and through transformers.js`, { skip }, () => {
    let ref: { texts: number[][]; images: number[][] };
    let mine: { texts: Float32Array[]; images: Float32Array[] };
    before(async () => {
      const f = fixtures[kind];
      ref = transformersJs(kind, f.dir, kind === 'siglip' ? TEXTS.map(pythonSiglip) : TEXTS, images(f));
      const enc = await loadOnnxEncoder(f.dir, { threads: 1 });
      mine = { texts: await enc.embedTexts(TEXTS), images: await enc.embedImages(images(f)) };
      await enc.dispose();
    });

    test('texts give the same embeddings', () => {
      TEXTS.forEach((text, k) => {
        const d = maxAbsDiffNormalised(mine.texts[k], ref.texts[k]);
        assert.ok(d < 1e-5, `text "${text}": ${d}`);
      });
    });

    test('images at the model size give the same embeddings', () => {
      for (const k of [0, 1]) assert.ok(maxAbsDiffNormalised(mine.images[k], ref.images[k]) < 1e-5, `image ${k}`);
    });

    test('a photo that needs resizing gives a close embedding (the resize kernels differ)', () => {
      const c = cosine(mine.images[2], ref.images[2]);
      assert.ok(c > 0.99, `cosine ${c}`);
    });
  });
}
