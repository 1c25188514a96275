/**
 * Local average pooling of a feature map: every location gets the mean of the p x p window around it (only the
 * cells inside the map counted). The image head was trained on whole-image averages, so a small window's average
 * is closer to what it knows than one location's features alone.
 */
export function boxPool(feats: Float32Array[], rows: number, cols: number, p: number): Float32Array[] {
  if (p <= 1) return feats;
  const c = feats[0].length;
  const h = Math.floor(p / 2);
  // separable: along each row, then along each column
  const pass = (src: Float32Array[], along: 'row' | 'col'): Float32Array[] => {
    const out: Float32Array[] = [];
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        const acc = new Float32Array(c);
        let n = 0;
        for (let d = -h; d <= p - 1 - h; d++) {
          const rr = along === 'col' ? r + d : r, qq = along === 'row' ? q + d : q;
          if (rr < 0 || rr >= rows || qq < 0 || qq >= cols) continue;
          const v = src[rr * cols + qq];
          for (let k = 0; k < c; k++) acc[k] += v[k];
          n++;
        }
        for (let k = 0; k < c; k++) acc[k] /= n;
        out.push(acc);
      }
    }
    return out;
  };
  return pass(pass(feats, 'row'), 'col');
}
