import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../util/errors.js';

/**
 * Tiny dependency-free SVG charts for eval results and model cards: a line chart (few-shot curves,
 * loss / R@K over epochs), a bar chart (with optional error bars) and a confusion-matrix heatmap.
 * Each returns the SVG text; writeChart() saves it and optionally a PNG rendered by sharp (librsvg).
 */

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))));

/** About 5 round tick values (steps of 1, 2 or 5 x 10^k) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new InputError('chart values must be finite');
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function open(f: Frame, title: string): string[] {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" ${FONT} font-size="12">`,
    `<rect width="${f.width}" height="${f.height}" fill="white"/>`,
    `<text x="${f.width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
}

/** Axes, grid and labels for a numeric y range; returns the y -> pixel map. */
function yAxis(out: string[], f: Frame, yTicks: number[], yLabel: string): (y: number) => number {
  const y0 = yTicks[0];
  const y1 = yTicks[yTicks.length - 1];
  const py = (y: number) => f.height - f.bottom - ((y - y0) / (y1 - y0)) * (f.height - f.top - f.bottom);
  for (const t of yTicks) {
    out.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/>`);
    out.push(`<text x="${f.left - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  out.push(`<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="black"/>`);
  out.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}" stroke="black"/>`);
  const cy = (f.top + f.height - f.bottom) / 2;
  out.push(`<text x="16" y="${cy}" text-anchor="middle" transform="rotate(-90 16 ${cy})">${escapeXml(yLabel)}</text>`);
  return py;
}

export interface LineSeries {
  name: string;
  /** [x, y] pairs; drawn in the given order. */
  points: [number, number][];
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Force the y range (e.g. 0..100 for percentages); default: fitted to the data. */
  yMin?: number;
  yMax?: number;
  /** Logarithmic x axis (base 2), e.g. for shots 1, 2, 4, 8, 16. */
  logX?: boolean;
  width?: number;
  height?: number;
}

export function lineChart(spec: LineChartSpec): string {
  const legend = Math.min(320, 40 + 7 * Math.max(0, ...spec.series.map((s) => s.name.length)));
  const f: Frame = { width: (spec.width ?? 640) + Math.max(0, legend - 150), height: spec.height ?? 400, left: 60, right: Math.max(150, legend), top: 34, bottom: 46 };
  const pts = spec.series.flatMap((s) => s.points);
  if (pts.length === 0) throw new InputError(`line chart "${spec.title}" has no points`);
  const tx = (x: number) => (spec.logX ? Math.log2(x) : x);
  if (spec.logX && pts.some(([x]) => !(x > 0))) throw new InputError('a log x axis needs x > 0');
  const xs = pts.map(([x]) => tx(x));
  const ys = pts.map(([, y]) => y);
  const yTicks = niceTicks(spec.yMin ?? Math.min(...ys), spec.yMax ?? Math.max(...ys));
  const xTicks = spec.logX ? [...new Set(pts.map(([x]) => x))].sort((a, b) => a - b).map(tx) : niceTicks(Math.min(...xs), Math.max(...xs));
  let [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const px = (x: number) => f.left + ((tx(x) - x0) / (x1 - x0)) * (f.width - f.left - f.right);
  const out = open(f, spec.title);
  const py = yAxis(out, f, yTicks, spec.yLabel);
  for (const t of xTicks) {
    const x = f.left + ((t - x0) / (x1 - x0)) * (f.width - f.left - f.right);
    out.push(`<line x1="${x}" x2="${x}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom + 5}" stroke="black"/>`);
    out.push(`<text x="${x}" y="${f.height - f.bottom + 18}" text-anchor="middle">${fmt(spec.logX ? 2 ** t : t)}</text>`);
  }
  out.push(`<text x="${(f.left + f.width - f.right) / 2}" y="${f.height - 8}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const d = s.points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    if (s.points.length > 1) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of s.points) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = f.top + 10 + i * 18;
    out.push(`<rect x="${f.width - f.right + 12}" y="${ly - 8}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${f.width - f.right + 30}" y="${ly + 2}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface Bar {
  label: string;
  value: number;
  /** Half-length of an error bar (e.g. a std over seeds). */
  error?: number;
}

export interface BarChartSpec {
  title: string;
  yLabel: string;
  bars: Bar[];
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
}

export function barChart(spec: BarChartSpec): string {
  if (spec.bars.length === 0) throw new InputError(`bar chart "${spec.title}" has no bars`);
  const f: Frame = { width: spec.width ?? Math.max(320, 90 + spec.bars.length * 56), height: spec.height ?? 400, left: 60, right: 20, top: 34, bottom: 90 };
  const hiVals = spec.bars.map((b) => b.value + (b.error ?? 0));
  const loVals = spec.bars.map((b) => b.value - (b.error ?? 0));
  const yTicks = niceTicks(spec.yMin ?? Math.min(0, ...loVals), spec.yMax ?? Math.max(0, ...hiVals));
  const out = open(f, spec.title);
  const py = yAxis(out, f, yTicks, spec.yLabel);
  const slot = (f.width - f.left - f.right) / spec.bars.length;
  const base = py(Math.max(yTicks[0], Math.min(0, yTicks[yTicks.length - 1])));
  spec.bars.forEach((b, i) => {
    const cx = f.left + slot * (i + 0.5);
    const w = slot * 0.7;
    const top = Math.min(py(b.value), base);
    out.push(`<rect x="${(cx - w / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${Math.abs(base - py(b.value)).toFixed(1)}" fill="${PALETTE[0]}"/>`);
    if (b.error) {
      const [a, z] = [py(b.value - b.error), py(b.value + b.error)];
      out.push(`<path d="M${cx},${a.toFixed(1)} L${cx},${z.toFixed(1)} M${cx - 5},${a.toFixed(1)} L${cx + 5},${a.toFixed(1)} M${cx - 5},${z.toFixed(1)} L${cx + 5},${z.toFixed(1)}" stroke="black"/>`);
    }
    out.push(`<text x="${cx}" y="${(py(b.value + (b.error ?? 0)) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${fmt(Number(b.value.toFixed(2)))}</text>`);
    const ly = f.height - f.bottom + 12;
    out.push(`<text x="${cx}" y="${ly}" text-anchor="end" transform="rotate(-40 ${cx} ${ly})">${escapeXml(b.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface HeatmapSpec {
  title: string;
  /** matrix[row][col], e.g. a confusion matrix [true][predicted]. */
  matrix: number[][];
  rowLabels: string[];
  colLabels: string[];
  rowTitle?: string;
  colTitle?: string;
  /** Colour by the share of each row (default true: a confusion matrix of unbalanced classes stays readable). */
  normalizeRows?: boolean;
  cell?: number;
}

export function heatmap(spec: HeatmapSpec): string {
  const { matrix, rowLabels, colLabels } = spec;
  if (matrix.length !== rowLabels.length || matrix.some((r) => r.length !== colLabels.length)) {
    throw new InputError(`heatmap "${spec.title}": matrix is not ${rowLabels.length} x ${colLabels.length}`);
  }
  const cell = spec.cell ?? (colLabels.length > 20 ? 14 : 36);
  const labelW = Math.min(220, 14 + 6.5 * Math.max(0, ...rowLabels.map((l) => l.length)));
  const labelH = Math.min(220, 14 + 6.5 * Math.max(0, ...colLabels.map((l) => l.length)));
  const left = labelW + 24;
  const top = labelH + 44;
  const width = left + cell * colLabels.length + 20;
  const height = top + cell * rowLabels.length + 20;
  const out = open({ width, height, left, right: 20, top, bottom: 20 }, spec.title);
  const fontSize = Math.min(11, cell - 3);
  const normalize = spec.normalizeRows ?? true;
  const globalMax = Math.max(1e-12, ...matrix.flat());
  matrix.forEach((row, r) => {
    const rowSum = row.reduce((a, b) => a + b, 0);
    row.forEach((v, c) => {
      const share = normalize ? (rowSum > 0 ? v / rowSum : 0) : v / globalMax;
      const shade = Math.round(255 * (1 - Math.max(0, Math.min(1, share))));
      const x = left + c * cell;
      const y = top + r * cell;
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#eee"/>`);
      if (cell >= 24 && v !== 0) {
        out.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="${fontSize}" fill="${share > 0.5 ? 'white' : 'black'}">${fmt(v)}</text>`);
      }
    });
    out.push(`<text x="${left - 4}" y="${top + r * cell + cell / 2 + 4}" text-anchor="end" font-size="${fontSize}">${escapeXml(rowLabels[r])}</text>`);
  });
  colLabels.forEach((l, c) => {
    const x = left + c * cell + cell / 2 + 4;
    out.push(`<text x="${x}" y="${top - 4}" font-size="${fontSize}" transform="rotate(-90 ${x} ${top - 4})">${escapeXml(l)}</text>`);
  });
  if (spec.rowTitle) out.push(`<text x="12" y="${top + (cell * rowLabels.length) / 2}" text-anchor="middle" transform="rotate(-90 12 ${top + (cell * rowLabels.length) / 2})">${escapeXml(spec.rowTitle)}</text>`);
  if (spec.colTitle) out.push(`<text x="${left + (cell * colLabels.length) / 2}" y="36" text-anchor="middle">${escapeXml(spec.colTitle)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Write `<path>` (.svg) and, with png: true, the same chart rasterised next to it (.png). */
export async function writeChart(path: string, svg: string, opts: { png?: boolean } = {}): Promise<string[]> {
  mkdirSync(dirname(path), { recursive: true });
  const svgPath = path.endsWith('.svg') ? path : `${path}.svg`;
  writeFileSync(svgPath, svg);
  if (!opts.png) return [svgPath];
  const pngPath = svgPath.replace(/\.svg$/, '.png');
  await svgToPng(svg, pngPath);
  return [svgPath, pngPath];
}

/** Rasterise an SVG with sharp (1 SVG unit = `scale` pixels); throws on malformed XML (librsvg parses strictly). */
export async function svgToPng(svg: string, outPath?: string, scale = 1): Promise<Buffer> {
  // librsvg's reference density is 72 dpi: 72 * scale maps one SVG unit to `scale` pixels.
  const png = await sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
  if (outPath) writeFileSync(outPath, png);
  return png;
}
