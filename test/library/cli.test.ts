import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { runNode, type CliRun } from '../cli-run.js';
import { photoJpeg, tempDir, writeClipFixture, writeFile } from './fixtures.js';

const cli = fileURLToPath(new URL('./cli-child.js', import.meta.url));
const tmp = tempDir(after);
const root = join(tmp, 'photos');
let model: string;

function vlm(args: string[], cwd = tmp): Promise<CliRun> {
  return runNode(cli, args, cwd);
}

async function json<T = Record<string, unknown>>(args: string[], cwd?: string): Promise<T> {
  const r = await vlm([...args, '--json'], cwd);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on stdout');
  return JSON.parse(lines[0]) as T;
}

type Results = { query: unknown; results: { path: string; score: number; paths: string[] }[] };

before(async () => {
  model = writeClipFixture(tmp);
  for (let i = 0; i < 6; i++) writeFile(join(root, `p${i}.jpg`), await photoJpeg(700 + i, { w: 200, h: 150 }));
  writeFile(join(root, 'sub', 'p0-small.jpg'), await sharp(await photoJpeg(700, { w: 200, h: 150 })).resize(100).toBuffer());
  writeFile(join(root, 'broken.jpg'), 'not a jpeg');
});

test('vlm index, search, similar, dupes and recommend from the command line', async () => {
  const r = await vlm(['index', root, '--model', model, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { indexed: number; unchanged: number; removed: number; skipped: { path: string; reason: string }[] };
  assert.equal(report.indexed, 7);
  assert.equal(report.unchanged, 0);
  assert.equal(report.removed, 0);
  assert.deepEqual(report.skipped.map((s) => s.path), [join(root, 'broken.jpg')]);
  assert.match(r.stderr, /skipped 1 file/);

  // the library remembers its model; human output is a summary line
  const again = await vlm(['index', root]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /0 indexed, 7 unchanged, 0 removed, 1 skipped/);

  // from inside the folder the library is found without --db
  const q = writeFile(join(tmp, 'q.jpg'), await sharp(await photoJpeg(703, { w: 200, h: 150 })).jpeg({ quality: 40 }).toBuffer());
  const byImage = await json<Results>(['search', '--image', q, '--k', '3'], root);
  assert.equal(byImage.results[0].path, join(root, 'p3.jpg'));
  assert.equal(byImage.results.length, 3);

  const byText = await json<Results>(['search', 'a dog on the beach', '--db', join(root, '.vlm'), '--k', '4', '--path-prefix', 'photos/sub/'], tmp);
  assert.equal(byText.query, 'a dog on the beach');
  assert.deepEqual(byText.results.map((x) => x.path), [join(root, 'sub', 'p0-small.jpg')]);

  const similar = await json<Results>(['similar', join(root, 'p0.jpg'), '--k', '2'], root);
  assert.equal(similar.results[0].path, join(root, 'sub', 'p0-small.jpg'));
  assert.ok(!similar.results.some((x) => x.path === join(root, 'p0.jpg')));

  const dupes = await json<{ groups: { kind: string; keeper: string; files: { path: string }[] }[] }>(['dupes', '--threshold', '0.99'], root);
  assert.deepEqual(dupes.groups.map((g) => [g.kind, g.keeper, g.files.length]), [['near', join(root, 'p0.jpg'), 2]]);

  const rec = await json<Results>(['recommend', '--like', `${join(root, 'p1.jpg')},${join(root, 'p2.jpg')}`, '--dislike', join(root, 'p3.jpg'), '--k', '10'], root);
  const recPaths = rec.results.map((x) => x.path);
  for (const p of ['p1.jpg', 'p2.jpg', 'p3.jpg']) assert.ok(!recPaths.includes(join(root, p)));
  assert.ok(recPaths.length >= 2);

  const human = await vlm(['search', 'a red car', '--k', '2'], root);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^\s+-?\d\.\d{3}\s+\//m);
});

test('usage errors exit 2, a missing library exits 1, each with one line saying what to do', async () => {
  const noQuery = await vlm(['search'], root);
  assert.equal(noQuery.code, 2);
  assert.match(noQuery.stderr, /give a text to search for/);
  const badK = await vlm(['search', 'x', '--k', '0'], root);
  assert.equal(badK.code, 2);
  const noLibrary = await vlm(['search', 'a dog'], '/');
  assert.equal(noLibrary.code, 1);
  assert.match(noLibrary.stderr, /no library found .*vlm index/);
  const noDir = await vlm(['index', join(tmp, 'does-not-exist'), '--model', model]);
  assert.equal(noDir.code, 1);
  assert.match(noDir.stderr, /does-not-exist/);
});
