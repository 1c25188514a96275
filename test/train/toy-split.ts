/**
 * The learnable toy images of the training tests: image i is one of 16 kinds k = (a, b) = (k % 4, k / 4), drawn
 * from `rng` for train and all different for dev, with features one-hot in a (dims 0-3) and in b (dims 4-7).
 * Captions are the caller's: they name a and b so there is something to learn.
 */
export const TOY_DIM = 8;

export function toyImages(split: 'train' | 'dev', nImages: number, rng: () => number): { kinds: number[]; orig: Float32Array } {
  const orig = new Float32Array(nImages * TOY_DIM);
  const kinds = Array.from({ length: nImages }, (_, i) => (split === 'dev' ? i * 2 + 1 : Math.floor(rng() * 16)));
  kinds.forEach((k, i) => {
    orig[i * TOY_DIM + (k % 4)] = 1;
    orig[i * TOY_DIM + 4 + Math.floor(k / 4)] = 1;
  });
  return { kinds, orig };
}
