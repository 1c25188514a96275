import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { barChart, escapeXml, heatmap, lineChart, niceTicks, svgToPng, writeChart } from '../../src/eval/plots.js';

// librsvg (inside sharp) parses SVG as strict XML: a chart that rasterises is well-formed.
async function rasterise(svg: string): Promise<{ width?: number; height?: number }> {
  return sharp(await svgToPng(svg)).metadata();
}

test('line chart: valid SVG with one marker per point and escaped names', async () => {
  const svg = lineChart({
    title: 'few-shot <GTSRB> & "friends"',
    xLabel: 'shots',
    yLabel: 'accuracy (%)',
    logX: true,
    yMin: 0,
    yMax: 100,
    series: [
      { name: 'linear probe', points: [[1, 20], [2, 31], [4, 45], [8, 60]] },
      { name: 'adapter <&>', points: [[1, 35], [16, 70]] },
    ],
  });
  const meta = await rasterise(svg);
  assert.ok(meta.width && meta.width >= 640 && meta.height === 400);
  assert.equal(svg.match(/<circle /g)?.length, 6);
  assert.ok(svg.includes('adapter &lt;&amp;&gt;') && !svg.includes('adapter <&>'));
  assert.ok(svg.includes('&quot;friends&quot;'));
});

test('bar chart with error bars and a heatmap of a confusion matrix rasterise', async () => {
  const bars = barChart({ title: 'zero-shot', yLabel: '%', bars: [{ label: 'gtsrb en', value: 23.4, error: 1.5 }, { label: 'fashion zh', value: -3 }] });
  assert.equal(svg(bars).rects, 1 + 2); // background + 2 bars
  await rasterise(bars);
  const heat = heatmap({ title: 'confusion', matrix: [[5, 1], [0, 3]], rowLabels: ['stop', 'yield'], colLabels: ['stop', 'yield'], rowTitle: 'true', colTitle: 'predicted' });
  assert.equal(svg(heat).rects, 1 + 4);
  assert.ok(heat.includes('>5</text>') && heat.includes('>3</text>'));
  await rasterise(heat);
  assert.throws(() => heatmap({ title: 'x', matrix: [[1, 2]], rowLabels: ['a'], colLabels: ['a'] }), /not 1 x 1/);
});

test('writeChart writes the SVG and a PNG of the same size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-plots-'));
  try {
    const files = await writeChart(join(dir, 'sub', 'loss.svg'), lineChart({ title: 'loss', xLabel: 'epoch', yLabel: 'loss', series: [{ name: 'train', points: [[0, 4.2], [1, 3.1], [2, 2.5]] }] }), { png: true });
    assert.deepEqual(files.map((f) => f.slice(dir.length)), ['/sub/loss.svg', '/sub/loss.png']);
    const png = await sharp(readFileSync(files[1])).metadata();
    assert.equal(png.format, 'png');
    assert.equal(png.height, 400);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed SVG is rejected by the rasteriser (so the checks above can fail)', async () => {
  await assert.rejects(svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="5" height="5"><text>a & b</text></svg>'));
});

test('nice ticks cover the range with round steps', () => {
  assert.deepEqual(niceTicks(0, 100), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(2.2, 4.2), [2, 2.5, 3, 3.5, 4, 4.5]);
  assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
});

function svg(text: string): { rects: number } {
  return { rects: text.match(/<rect /g)?.length ?? 0 };
}
