/** An axis-aligned box by its corners, with a score and a class, all the NMS needs. */
export interface ScoredBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classId: number;
}

export function iou(a: ScoredBox, b: ScoredBox): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression within each class, best first. Per class (unlike human's class-agnostic NMS)
 * so a rider does not suppress the overlapping bicycle: we count objects per class.
 */
export function nmsPerClass<T extends ScoredBox>(boxes: T[], opts: { minScore: number; iouThreshold: number; maxDetections: number }): T[] {
  const sorted = boxes.filter((b) => b.score >= opts.minScore).sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const box of sorted) {
    if (kept.length >= opts.maxDetections) break;
    if (kept.some((k) => k.classId === box.classId && iou(k, box) > opts.iouThreshold)) continue;
    kept.push(box);
  }
  return kept;
}
