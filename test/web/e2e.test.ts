/**
 * The web app in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) against
 * a real server on a random loopback port: search by text, drop an image and classify it, open a detail
 * page by keyboard, see duplicates. Screenshots go to test-artifacts/web/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { repoRoot } from '../../src/util/paths.js';
import { DEMO, makeLibrary, type TestLibrary } from '../server/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `needs Debian chromium at ${CHROMIUM} (apt-get install -y chromium)`;
const SHOTS = join(repoRoot, 'test-artifacts', 'web');

let lib: TestLibrary;
let server: RunningServer;
let browser: Browser;
let page: Page;
let webDir: string;

before(async () => {
  if (skip) return;
  // build the app as it is now (not a stale web/dist) into a temp folder
  webDir = mkdtempSync(join(tmpdir(), 'vlm-web-'));
  await build({ root: join(repoRoot, 'web'), configFile: join(repoRoot, 'web', 'vite.config.ts'), logLevel: 'warn', build: { outDir: webDir, emptyOutDir: true } });
  lib = await makeLibrary();
  server = await startServer({ port: 0, encoder: lib.encoder, library: [lib.root], db: lib.db, webDir, verbose: false });
  await server.library.job?.finished;
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => { throw e; });
}, { timeout: 240_000 });

after(async () => {
  if (skip) return;
  await browser?.close();
  await server?.close();
  await lib?.cleanup();
  rmSync(webDir, { recursive: true, force: true });
});

test('type a query and see a grid of results with scores', { skip, timeout: 60_000 }, async () => {
  await page.goto(server.url);
  await page.locator('#q').fill('a cat sleeping');
  await page.keyboard.press('Enter');
  const cards = page.locator('vlm-results .card');
  await cards.first().waitFor();
  assert.equal(await cards.count(), 5, 'every image inside the library, best first');
  const scores = (await page.locator('vlm-results .score').allTextContents()).map(Number);
  assert.ok(scores.every((s) => s >= -1 && s <= 1));
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
  assert.match(page.url(), /#\/search\?q=a%20cat%20sleeping$/);
  assert.match(await page.locator('main > p.status').textContent() ?? '', /5 images, most similar first/);
  // the thumbnails load from the API
  await page.waitForFunction(`[...document.querySelectorAll('vlm-results img')].every((i) => i.complete && i.naturalWidth > 0)`);
  await page.screenshot({ path: join(SHOTS, 'search.png'), fullPage: true });
});

test('drop an image and get labels for the words typed', { skip, timeout: 60_000 }, async () => {
  await page.goto(`${server.url}/#/`);
  const bytes = readFileSync(join(DEMO, 'coffee.jpg')).toString('base64');
  // a real drop event carrying a File, as a file manager sends it (browser code as a string: tsc here has no DOM types)
  await page.evaluate(`(() => {
    const data = Uint8Array.from(atob('${bytes}'), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], 'coffee.jpg', { type: 'image/jpeg' }));
    document.querySelector('vlm-drop .drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  })()`);
  await page.locator('#labels').fill('coffee, dog, rocket, 猫');
  await page.getByRole('button', { name: 'Classify' }).click();
  const rows = page.locator('vlm-drop .labels li');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 4);
  const labels = await page.locator('vlm-drop .labels .label').allTextContents();
  assert.deepEqual([...labels].sort(), ['coffee', 'dog', 'rocket', '猫'].sort());
  const pct = (await page.locator('vlm-drop .labels .pct').allTextContents()).map((t) => parseFloat(t));
  assert.ok(Math.abs(pct.reduce((a, b) => a + b, 0) - 100) < 0.5, `probabilities add up to 100%: ${pct}`);
  await page.screenshot({ path: join(SHOTS, 'classify.png'), fullPage: true });

  // and search by the dropped image
  await page.getByRole('button', { name: 'Search by this image' }).click();
  await page.locator('main > p.status', { hasText: 'Images like coffee.jpg' }).waitFor();
  // the library's 5 images less the dropped photo itself (the library holds the same file)
  assert.equal(await page.locator('vlm-results .card').count(), 4);
  assert.ok(!(await page.locator('vlm-results .path').allTextContents()).includes('coffee.jpg'));
});

test('open a detail page from the keyboard: preview, metadata, caption, heatmap, similar images', { skip, timeout: 180_000 }, async () => {
  await page.goto(`${server.url}/#/search?q=horses`);
  await page.locator('main > p.status', { hasText: 'Results for “horses”' }).waitFor();
  const first = page.locator('vlm-results .card a.thumb').first();
  await first.waitFor();
  const id = await page.locator('vlm-results .card').first().getAttribute('data-id');
  await first.focus();
  await page.keyboard.press('Enter');
  await page.locator('vlm-detail h2').waitFor();
  assert.equal(new URL(page.url()).hash, `#/image/${id}`);
  const facts = await page.locator('vlm-detail .facts').textContent();
  assert.match(facts ?? '', /Size\s*\d+ × \d+ px, jpeg/);
  await page.waitForFunction(`(() => { const img = document.querySelector('vlm-detail figure img'); return !!img && img.complete && img.naturalWidth > 0; })()`);
  assert.ok((await page.locator('vlm-detail vlm-results .card').count()) >= 1);
  // caption (the default model's decoder) and a heatmap for a typed text (occlusion: the fixture encoder is an ONNX checkpoint)
  const caption = page.locator('vlm-detail figcaption.caption');
  await caption.waitFor({ timeout: 60_000 });
  assert.ok(((await caption.textContent()) ?? '').trim().split(/\s+/).length >= 3, 'a caption of a few words');
  await page.locator('#explain-text').fill('a horse');
  await page.locator('#explain-text').press('Enter');
  const heat = page.locator('vlm-detail figure img[alt^="Heatmap over"]');
  await heat.waitFor({ timeout: 60_000 });
  assert.match((await heat.getAttribute('src')) ?? '', /^(blob:|data:image\/png)/);
  await page.screenshot({ path: join(SHOTS, 'detail.png'), fullPage: true });
});

test('the duplicates view shows the identical copy, keeper first', { skip, timeout: 60_000 }, async () => {
  // The fixture encoder has random weights: distinct photos embed close together, so ask for near copies
  // only above 0.9999 (the route parameter the view passes to GET /v1/dupes).
  await page.goto(`${server.url}/#/dupes?threshold=0.9999`);
  const group = page.locator('vlm-dupes .dupe-group').first();
  await group.waitFor();
  const paths = await group.locator('.path').allTextContents();
  assert.deepEqual([...paths].sort(), ['album/cat-copy.jpg', 'cat.jpg']);
  await page.screenshot({ path: join(SHOTS, 'dupes.png'), fullPage: true });
});
