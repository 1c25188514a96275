import { heatmap, lineChart, writeChart } from '../plots.js';
import type { FewShotResult } from '../run-fewshot.js';

const METHOD_NAMES: Record<string, string> = {
  probe: 'linear probe', ridge: 'ridge probe', tip: 'Tip-Adapter', 'tip-f': 'Tip-Adapter-F', prototype: 'class prototype', zeroshot: 'zero-shot (calibrated)',
};

export function methodName(m: string): string {
  return METHOD_NAMES[m] ?? m;
}

/** Accuracy (%) against shots per class (log scale), one line per method, zero-shot as a flat reference line. */
export function fewShotCurveSvg(r: FewShotResult, title?: string): string {
  const series = r.methods.map((m) => ({
    name: methodName(m),
    points: (r.curves[m] ?? []).map((p) => [p.shots, 100 * p.accuracy.mean] as [number, number]),
  }));
  if (r.zero_shot) series.push({ name: 'zero-shot', points: r.shots.map((k) => [k, 100 * (r.zero_shot?.accuracy ?? 0)] as [number, number]) });
  series.push({ name: 'chance', points: r.shots.map((k) => [k, 100 * r.chance] as [number, number]) });
  return lineChart({
    title: title ?? `Few-shot accuracy: ${r.name} (${r.lang}), mean of ${r.seeds} seed(s)`,
    xLabel: 'training examples per class', yLabel: 'test accuracy (%)',
    series, logX: true, yMin: 0, yMax: 100,
  });
}

/** How many runs the confusion matrix sums (a shot count that takes the whole train pool runs once). */
function runs(r: FewShotResult): string {
  const n = r.confusion ? (r.curves[r.confusion.method]?.find((p) => p.shots === r.confusion?.shots)?.runs.length ?? r.seeds) : r.seeds;
  return n === 1 ? 'one run' : `${n} seeds summed`;
}

/** The confusion matrix (rows: true class, columns: predicted) of the best method at the most shots. */
export function fewShotConfusionSvg(r: FewShotResult, title?: string): string | null {
  if (!r.confusion) return null;
  return heatmap({
    title: title ?? `${r.name}: ${methodName(r.confusion.method)}, ${r.confusion.shots}-shot, ${runs(r)}`,
    matrix: r.confusion.matrix, rowLabels: r.names, colLabels: r.names, rowTitle: 'true class', colTitle: 'predicted class',
  });
}

export async function writeFewShotCharts(r: FewShotResult, out: { curve?: string; confusion?: string; png?: boolean }): Promise<string[]> {
  const written: string[] = [];
  if (out.curve) written.push(...(await writeChart(out.curve, fewShotCurveSvg(r), { png: out.png })));
  const cm = fewShotConfusionSvg(r);
  if (out.confusion && cm) written.push(...(await writeChart(out.confusion, cm, { png: out.png })));
  return written;
}
