/** n-gram counts of a token list for n = 1..maxN, keyed by the n-gram's tokens joined with a separator that tokens never hold. */
export function ngramCounts(tokens: string[], maxN: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let n = 1; n <= maxN; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens.slice(i, i + n).join('\u0001');
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

/** Order (n) of an n-gram key. */
export function ngramOrder(key: string): number {
  let n = 1;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) === 1) n++;
  return n;
}
