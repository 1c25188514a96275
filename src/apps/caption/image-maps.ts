import { preprocessBatch } from '../../image/preprocess.js';
import type { ImageInput } from '../../image/types.js';
import { parseTowerId, type TowerId } from '../../model/image-tower.js';
import { openTower } from '../../model/tower-runner.js';

/** The frozen tower's spatial map for images (flattened NHWC rows, as the feature cache stores them). */
export interface MapExtractor {
  maps(images: ImageInput[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/** The tower's maps on the encoder's runtime choice (src/model/tower-runner.ts). */
export async function openMapExtractor(tower: string, tap: string): Promise<MapExtractor> {
  const id = tower as TowerId;
  parseTowerId(id);
  const t = await openTower(id, [tap]);
  return {
    async maps(images) {
      const out = await t.run(await preprocessBatch(images, t.preprocess), images.length);
      return out[tap].map((r) => Float32Array.from(r));
    },
    async dispose() {
      await t.dispose();
    },
  };
}
