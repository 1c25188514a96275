import type { Encoder } from '../../encoders/encoder.js';
import { decodeImage } from '../../image/decode.js';
import type { RgbImage, ImageInput } from '../../image/types.js';
import { loadDetector, type Detector, type DetectorAnalysis } from '../../model/detector.js';
import { readText, type OcrResult } from './ocr-engine.js';

/**
 * One image under questioning: decoded once, and each model's view of it (embedding, detections, text) computed
 * on first need and kept, so several questions about one image (the VQA eval asks many) pay for each model once.
 */
export class AskImage {
  private rgbP?: Promise<RgbImage>;
  private embP?: Promise<Float32Array>;
  private detP?: Promise<DetectorAnalysis>;
  private ocrP?: Promise<OcrResult>;

  /** `embedding`: a precomputed image embedding (batch jobs embed many images in one encoder call). */
  constructor(private readonly input: ImageInput, private readonly models: AskModels, known: { embedding?: Float32Array } = {}) {
    if (known.embedding) this.embP = Promise.resolve(known.embedding);
  }

  rgb(): Promise<RgbImage> {
    return (this.rgbP ??= decodeImage(this.input));
  }

  embedding(): Promise<Float32Array> {
    return (this.embP ??= this.rgb().then(async (img) => (await this.models.encoder.embedImages([img]))[0]));
  }

  /** All detections down to a low score: counting applies its own calibrated threshold afterwards. */
  detections(): Promise<DetectorAnalysis> {
    return (this.detP ??= this.rgb().then(async (img) => (await this.models.detector()).analyze(img, { minScore: DETECT_FLOOR, maxDetections: 100 })));
  }

  text(): Promise<OcrResult> {
    return (this.ocrP ??= this.rgb().then((img) => readText(img)));
  }
}

/**
 * Detections below this are dropped before NMS. Greedy NMS only lets a higher-scoring box suppress a lower one,
 * so keeping more low boxes never changes which boxes above a higher threshold survive: the count threshold can be
 * applied after the fact.
 */
export const DETECT_FLOOR = 0.05;

/** The models questions are answered with; the detector is loaded on first use and shared. */
export class AskModels {
  private detP?: Promise<Detector>;

  constructor(readonly encoder: Encoder) {}

  detector(): Promise<Detector> {
    this.detP ??= loadDetector('centernet');
    this.detP.catch(() => { this.detP = undefined; });
    return this.detP;
  }

  async dispose(): Promise<void> {
    const d = this.detP;
    this.detP = undefined;
    if (d) (await d.catch(() => undefined))?.dispose();
  }
}
