import type { FewShotMethod } from '../../apps/classify/fewshot-model.js';
import type { EvalRecord } from '../model-card.js';
import type { FewShotResult } from '../run-fewshot.js';
import type { CaseRetrievalResult } from './medpix-cases.js';
import { methodName } from './charts.js';

/**
 * Markdown pieces for the few-shot reports (docs/traffic-signs.md, docs/medical.md), rendered from
 * recorded results only: every number in the docs comes from a results JSON and its command.
 */

const pct = (x: number, d = 1) => (100 * x).toFixed(d);
const pm = (m: { mean: number; std: number }) => `${pct(m.mean)} ± ${pct(m.std)}`;
const code = (s: string) => '`' + s + '`';

export function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function accuracyAt(r: FewShotResult, method: FewShotMethod, shots: number): { mean: number; std: number } | undefined {
  return r.curves[method]?.find((p) => p.shots === shots)?.accuracy;
}

/** Shots down, methods across; test accuracy in % as mean ± std over seeds; the best per row in bold. */
export function accuracyTable(r: FewShotResult): string {
  const rows = r.shots.map((k) => {
    const best = Math.max(...r.methods.map((m) => accuracyAt(r, m, k)?.mean ?? -1));
    return [String(k), ...r.methods.map((m) => {
      const a = accuracyAt(r, m, k);
      if (!a) return '–';
      return a.mean === best ? `**${pm(a)}**` : pm(a);
    })];
  });
  if (r.zero_shot) rows.unshift(['0 (zero-shot)', ...r.methods.map(() => pct(r.zero_shot?.accuracy ?? NaN))]);
  return table(['shots per class', ...r.methods.map(methodName)], rows);
}

export function calibrationTable(r: FewShotResult): string {
  if (!r.zero_shot) return '';
  const z = r.zero_shot;
  const rows = [['zero-shot, T = 0.01 (CLIP default)', z.nll_default.toFixed(3), pct(z.ece_default)]];
  for (const c of z.calibrated) rows.push([`zero-shot, T fitted on the ${c.shots}-shot support set (T = ${c.temperature.mean.toPrecision(3)})`, c.nll.mean.toFixed(3), pct(c.ece.mean)]);
  const top = r.shots[r.shots.length - 1];
  for (const m of r.methods) {
    const p = r.curves[m]?.find((q) => q.shots === top);
    if (p) rows.push([`${methodName(m)}, ${top}-shot`, p.nll.mean.toFixed(3), pct(p.ece.mean)]);
  }
  return table(['classifier', 'test NLL', 'test ECE (%)'], rows);
}

export function confusionsTable(r: FewShotResult, n = 10): string {
  return table(['true sign', 'predicted as', 'count', 'share of the true class (%)'],
    r.top_confusions.slice(0, n).map((c) => [c.true, c.predicted, String(c.count), pct(c.share)]));
}

export function check(ok: boolean, text: string): string {
  return `- ${ok ? '✅' : '❌'} ${text}`;
}

export function recordLine(rec: EvalRecord): string {
  const r = rec.result as unknown as FewShotResult;
  return `${code(rec.command)} (model ${code(String(r.model))}, measured ${rec.measured_at.slice(0, 10)}, ${Math.round(Number(r.seconds))} s, results in ${code(`models/default/eval/${rec.name}.json`)})`;
}

export function casesTable(r: CaseRetrievalResult): string {
  const row = (name: string, p: { location: number; modality: number; both: number }) => [name, pct(p.location), pct(p.modality), pct(p.both)];
  return table([`query → ${r.k} most similar TRAIN cases`, 'location P@5 (%)', 'modality P@5 (%)', 'both (%)'], [
    row('test image', r.image),
    row('test caption vs case images', r.text_image),
    row('test caption vs case captions', r.text_caption),
    row('test caption, both fused', r.text_fused),
    row('chance (random cases)', r.chance),
  ]);
}
