import type { Encoder, Lang } from '../../encoders/encoder.js';
import type { RgbImage } from '../../image/types.js';
import { loadCaptioner, type Captioner } from './captioner.js';

let shared: Promise<Captioner> | undefined;

/**
 * POST /v1/caption: the shipped model's caption decoder (loaded once, on first use). The server's encoder is
 * not needed: the decoder runs its own frozen tower on the image.
 */
export async function captionForServer(_encoder: Encoder, image: RgbImage, opts: { lang?: Lang }): Promise<{ caption: string; lang: Lang; score: number }> {
  shared ??= loadCaptioner();
  const lang = opts.lang ?? 'en';
  const [r] = await (await shared).captionImages([image], { lang });
  return { caption: r.text, lang, score: r.score };
}
