/** Length of the longest common subsequence of two token lists. */
export function lcsLength(a: string[], b: string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    prev = cur;
  }
  return prev[b.length];
}

/**
 * ROUGE-L of one candidate against its references, as coco-caption computes it (Lin 2004): the best LCS
 * precision and the best LCS recall over the references, combined as F = (1 + b^2) P R / (R + b^2 P), b = 1.2.
 */
export function rougeL(hyp: string[], refs: string[][], beta = 1.2): number {
  let p = 0;
  let r = 0;
  for (const ref of refs) {
    const l = lcsLength(hyp, ref);
    if (hyp.length > 0) p = Math.max(p, l / hyp.length);
    if (ref.length > 0) r = Math.max(r, l / ref.length);
  }
  if (p === 0 || r === 0) return 0;
  return ((1 + beta * beta) * p * r) / (r + beta * beta * p);
}

/** Mean sentence ROUGE-L over a corpus. */
export function corpusRougeL(hyps: string[][], refs: string[][][]): number {
  if (hyps.length === 0) return 0;
  return hyps.reduce((s, h, i) => s + rougeL(h, refs[i]), 0) / hyps.length;
}
