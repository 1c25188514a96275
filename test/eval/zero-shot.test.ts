import { test } from 'node:test';
import assert from 'node:assert/strict';
import { softmax, zeroShotClassifier } from '../../src/eval/zero-shot.js';
import { fillTemplate, promptTemplates, PROMPT_DOMAINS } from '../../src/eval/prompts.js';
import { ColourEncoder, solid } from './colour-encoder.js';

const close = (a: ArrayLike<number>, b: number[], eps = 1e-5) =>
  assert.ok(b.every((x, i) => Math.abs(a[i] - x) < eps), `${[...Array.from(a)]} != ${b}`);

test('class weights are the renormalised mean of normalised template embeddings', async () => {
  const enc = new ColourEncoder();
  const zs = await zeroShotClassifier(enc, ['red', 'green', 'blue'], ['a {} thing.', 'a bright {} thing.'], 'en', { quiet: true });
  // red: "a red thing." -> (1,0,0); "a bright red thing." -> (1.5,.5,.5)/|.| = (0.9045, 0.3015, 0.3015)
  // mean direction: (1.90453, 0.30151, 0.30151) / 1.95167 = (0.97584, 0.15449, 0.15449)
  const a = 1.5 / Math.hypot(1.5, 0.5, 0.5), b = 0.5 / Math.hypot(1.5, 0.5, 0.5);
  const n = Math.hypot(1 + a, b, b);
  close(zs.weights[0], [(1 + a) / n, b / n, b / n]);
  close(zs.weights[1], [b / n, (1 + a) / n, b / n]);
  close(zs.weights[0], [0.97584, 0.15449, 0.15449], 1e-4);

  const [img] = await enc.embedImages([solid(255, 0, 0)]);
  const [s] = zs.scores([img]);
  close(s, [(1 + a) / n, b / n, b / n]);
  const [p1] = zs.classify([img], { temperature: 1 });
  const e = [Math.exp(s[0]), Math.exp(s[1]), Math.exp(s[2])];
  close(p1, e.map((x) => x / (e[0] + e[1] + e[2])));
  const [p] = zs.classify([img]); // CLIP temperature 0.01: confident
  assert.ok(p[0] > 0.999);
  close([p[0] + p[1] + p[2]], [1]);
});

test('classifies solid colours by Chinese colour names', async () => {
  const enc = new ColourEncoder();
  const zs = await zeroShotClassifier(enc, ['红色', '绿色', '蓝色', '黄色'], ['一个{}的东西。', '一个亮{}的东西。'], 'zh', { quiet: true });
  const imgs = await enc.embedImages([solid(0, 0, 200), solid(240, 230, 10), solid(20, 220, 30), solid(250, 5, 5)]);
  assert.deepEqual(
    zs.classify(imgs).map((p) => [...p].indexOf(Math.max(...p))),
    [2, 3, 1, 0],
  );
});

test('prompt embeddings are batched', async () => {
  const enc = new ColourEncoder();
  const labels = Array.from({ length: 50 }, (_, i) => (i % 2 ? 'red' : 'blue'));
  await zeroShotClassifier(enc, labels, ['a {}.', 'the {}.'], 'en', { batchSize: 64, quiet: true });
  assert.equal(enc.textCalls, 2); // 100 prompts, 64 per call
});

test('softmax is stable for large logits', () => {
  const p = softmax([1000, 1000, 0]);
  close(p, [0.5, 0.5, 0]);
});

test('every prompt domain has en and zh templates with one {} each', () => {
  for (const d of PROMPT_DOMAINS) {
    for (const lang of ['en', 'zh'] as const) {
      const ts = promptTemplates(d, lang);
      assert.ok(ts.length >= 3, `${d}/${lang}`);
      for (const t of ts) assert.ok(!fillTemplate(t, 'X').includes('{}') && fillTemplate(t, 'X').includes('X'), t);
    }
  }
  assert.equal(fillTemplate('一张{}的照片。', '猫'), '一张猫的照片。');
  assert.throws(() => promptTemplates('nope' as never, 'en'), /unknown prompt domain/);
});
