import type { Encoder, Lang } from '../../encoders/encoder.js';
import type { RgbImage } from '../../image/types.js';
import { hasCaptionDecoder } from '../../model/caption-model.js';
import { defaultModelDir } from '../../util/paths.js';
import { loadCaptioner, type Captioner } from './captioner.js';

const shared = new Map<string, Promise<Captioner>>();

/**
 * POST /v1/caption: the served model's own caption decoder, with its decoding defaults (models/coco re-ranks
 * its beam), or the default model's when the served folder has none. Loaded once, on first use; the decoder
 * runs its own frozen tower on the image.
 */
export async function captionForServer(encoder: Encoder, image: RgbImage, opts: { lang?: Lang }): Promise<{ caption: string; lang: Lang; score: number }> {
  const dir = encoder.modelDir && hasCaptionDecoder(encoder.modelDir) ? encoder.modelDir : defaultModelDir;
  let cap = shared.get(dir);
  if (!cap) shared.set(dir, (cap = loadCaptioner(dir)));
  const lang = opts.lang ?? 'en';
  const [r] = await (await cap).captionImages([image], { lang });
  return { caption: r.text, lang, score: r.score };
}
