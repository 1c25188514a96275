import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { datasetDir, fashionMnistDir } from '../../src/util/paths.js';
import { loadFlickr8k } from '../../src/train/datasets/flickr8k.js';
import { loadGtsrb } from '../../src/train/datasets/gtsrb.js';
import { loadMedpix } from '../../src/train/datasets/medpix.js';
import { loadFashionMnistSplit, fashionMnistClasses } from '../../src/train/datasets/fashion-mnist.js';

const noFlickr = datasetDir('flickr8k') ? false : 'needs ../shared/data/flickr8k (or VLM_DATA)';
const noGtsrb = datasetDir('gtsrb') ? false : 'needs ../shared/data/gtsrb (or VLM_DATA)';
const noMedpix = datasetDir('medpix') ? false : 'needs ../shared/data/medpix (or VLM_DATA)';
const noFashion = fashionMnistDir() ? false : 'needs the Debian package dataset-fashion-mnist (or VLM_FASHION_MNIST)';

test('Flickr8k splits: 6000/1000/1000 images, 5 captions each, disjoint', { skip: noFlickr }, () => {
  const seen = new Set<string>();
  for (const [split, n] of [['train', 6000], ['dev', 1000], ['test', 1000]] as const) {
    for (const lang of split === 'test' ? (['en', 'zh', 'zh-human'] as const) : (['en', 'zh'] as const)) {
      const d = loadFlickr8k(split, lang);
      assert.equal(d.images.length, n, `${split} images`);
      assert.equal(d.captions.length, 5 * n, `${split} ${lang} captions`);
      const perImage = new Map<number, number[]>();
      for (const c of d.captions) perImage.set(c.imageIndex, [...(perImage.get(c.imageIndex) ?? []), c.n]);
      assert.ok([...perImage.values()].every((ns) => ns.join() === '0,1,2,3,4'), `${split} ${lang}: n = 0..4 per image`);
      assert.ok(d.captions.every((c) => c.text.length > 0 && !c.text.includes('\t')));
    }
    const d = loadFlickr8k(split, 'en');
    for (const f of d.images) {
      assert.ok(!seen.has(f), `${f} in two splits`);
      seen.add(f);
    }
    assert.ok(existsSync(d.imagePaths[0]) && existsSync(d.imagePaths[n - 1]));
  }
  assert.throws(() => loadFlickr8k('train', 'zh-human'), /test split only/);
});

test('GTSRB: 43 classes with en/de/zh names, 1720 train (40 per class), 3975 test', { skip: noGtsrb }, () => {
  const g = loadGtsrb();
  assert.equal(g.classes.length, 43);
  assert.equal(g.classes[14].de, 'stopp');
  assert.equal(g.classes[14].en, 'stop');
  assert.ok(g.classes.every((c) => c.en && c.zh && /[\u4e00-\u9fff]/.test(c.zh)));
  assert.equal(new Set(g.classes.map((c) => c.zh)).size, 43, 'Chinese names are distinct');
  assert.equal(new Set(g.classes.map((c) => c.en)).size, 43, 'English names are distinct');
  assert.equal(g.train.length, 1720);
  for (let c = 0; c < 43; c++) assert.equal(g.train.filter((x) => x.label === c).length, 40);
  assert.equal(g.test.length, 3975);
  assert.equal(new Set(g.test.map((x) => x.label)).size, 43);
  assert.ok(existsSync(g.test[0].path) && existsSync(g.train[1719].path));
});

test('MedPix: 2050 records; split lists 1653/197/200 agree with the records', { skip: noMedpix }, () => {
  const all = loadMedpix();
  assert.equal(all.length, 2050);
  const sizes = (['train', 'dev', 'test'] as const).map((s) => loadMedpix(s).length);
  assert.deepEqual(sizes, [1653, 197, 200]);
  const test = loadMedpix('test');
  assert.deepEqual([test.filter((r) => r.modality === 'CT').length, test.filter((r) => r.modality === 'MRI').length], [100, 100]);
  const categories = new Set(['Head', 'Thorax', 'Abdomen', 'Spine and Muscles', 'Reproductive and Urinary System']);
  for (const r of all) {
    assert.ok(typeof r.caption === 'string' && r.caption.length > 0, `${r.file}: caption`);
    assert.ok(categories.has(r.location_category), `${r.file}: location_category ${r.location_category}`);
    assert.ok(r.modality === 'CT' || r.modality === 'MRI', `${r.file}: modality ${r.modality}`);
    assert.ok(existsSync(r.path), `${r.path} exists`);
  }
});

test('Fashion-MNIST test split: 10000 images of 28x28, 1000 per class', { skip: noFashion }, () => {
  const t = loadFashionMnistSplit('test');
  assert.equal(t.images.length, 10000);
  assert.ok(t.images.every((im) => im.length === 784));
  const counts = new Array(10).fill(0);
  for (const l of t.labels) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(1000));
  const names = fashionMnistClasses();
  assert.deepEqual([names[0].name, names[0].zh, names[9].en], ['T-shirt/top', 'T恤', 'ankle boot']);
});
