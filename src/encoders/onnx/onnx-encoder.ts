/**
 * The `onnx` Encoder: a CLIP / SigLIP / Chinese-CLIP checkpoint in the transformers.js layout, run
 * with onnxruntime-node directly. Tower sessions open on first use, so a text-only command never
 * loads the vision graph. Images go through src/image (one decoder for all of vlm).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { preprocessBatch } from '../../image/preprocess.js';
import type { ImageInput } from '../../image/types.js';
import { VlmError } from '../../util/errors.js';
import { l2normalize, type EmbedTextOptions, type Encoder } from '../encoder.js';
import { centerCropNchw, planImage, type ImagePlan } from './image-plan.js';
import { resolveLayout, type ModelLayout, type OnnxVariant } from './layout.js';
import { TowerSession, type Feed, type SessionOptions } from './session.js';
import { TextTokenizer } from './text-inputs.js';

export interface OnnxEncoderOptions extends SessionOptions {
  /** which graph files: onnx/*.onnx (fp32), *_quantized.onnx or *_fp16.onnx; default $VLM_ONNX_VARIANT, else fp32 */
  variant?: OnnxVariant;
  /** images per onnxruntime run (default 16) */
  imageBatch?: number;
  /** texts per onnxruntime run (default 64) */
  textBatch?: number;
}

type Tower = 'text' | 'vision';

/** Output names per tower, in order of preference: CLIP/Chinese-CLIP project into *_embeds; SigLIP's pooler_output is its embedding. */
const OUTPUTS: Record<Tower, Record<ModelLayout['modelType'], string[]>> = {
  text: { clip: ['text_embeds'], chinese_clip: ['text_embeds'], siglip: ['text_embeds', 'pooler_output'] },
  vision: { clip: ['image_embeds'], chinese_clip: ['image_embeds'], siglip: ['image_embeds', 'pooler_output'] },
};

export class OnnxEncoder implements Encoder {
  readonly id: string;
  readonly dim: number;
  private readonly sessions = new Map<string, Promise<TowerSession>>();
  private readonly tokenizer: TextTokenizer;
  private readonly image: ImagePlan;
  private disposed = false;

  private constructor(
    private readonly layout: ModelLayout,
    private readonly opts: OnnxEncoderOptions,
  ) {
    this.tokenizer = new TextTokenizer(layout);
    const vision = (layout.config.vision_config ?? {}) as Record<string, unknown>;
    this.image = planImage(layout.preprocessorConfig, layout.modelType, typeof vision.image_size === 'number' ? vision.image_size : undefined);
    this.id = encoderId(layout);
    this.dim = configDim(layout) ?? 0;
  }

  static async load(dir: string, opts: OnnxEncoderOptions = {}): Promise<OnnxEncoder> {
    const variant = opts.variant ?? ((process.env.VLM_ONNX_VARIANT || 'fp32') as OnnxVariant);
    const threads = opts.threads ?? (process.env.VLM_ONNX_THREADS ? Number(process.env.VLM_ONNX_THREADS) : undefined);
    const layout = resolveLayout(resolve(dir), variant);
    const enc = new OnnxEncoder(layout, { ...opts, threads });
    if (enc.dim === 0) {
      // config.json names no dimension: ask the text graph (it is the smaller one).
      const { session, output } = await enc.tower('text');
      const w = session.outputWidth(output);
      if (!w) throw new VlmError(`${layout.dir}: cannot tell the embedding dimension (config.json has no projection_dim / hidden_size)`);
      (enc as { dim: number }).dim = w;
    }
    return enc;
  }

  /** The session serving a tower and the output name to read. */
  private async tower(t: Tower): Promise<{ session: TowerSession; output: string }> {
    if (this.disposed) throw new VlmError('this encoder was disposed');
    const g = this.layout.graphs;
    const file = g.kind === 'split' ? g[t] : g.model;
    let p = this.sessions.get(file);
    if (!p) {
      p = TowerSession.open(file, this.opts);
      this.sessions.set(file, p);
      p.catch(() => this.sessions.delete(file));
    }
    const session = await p;
    const wanted = OUTPUTS[t][this.layout.modelType];
    const output = wanted.find((o) => session.outputNames.includes(o));
    if (!output) throw new VlmError(`${file} has no output ${wanted.join(' or ')} (outputs: ${session.outputNames.join(', ')}); is it a ${t} model with projection?`);
    return { session, output };
  }

  private textFeeds(texts: string[]): Record<string, Feed> {
    const b = this.tokenizer.encode(texts);
    const dims = [b.batch, b.length];
    return {
      input_ids: { type: 'int', data: b.inputIds, dims },
      attention_mask: { type: 'int', data: b.attentionMask, dims },
      token_type_ids: { type: 'int', data: b.tokenTypeIds, dims },
    };
  }

  private dummyImage(): Record<string, Feed> {
    const { width, height } = this.image;
    return { pixel_values: { type: 'float', data: new Float32Array(3 * width * height), dims: [1, 3, height, width] } };
  }

  /** Feeds the graph's inputs from what we have; a combined model.onnx also gets a minimal dummy of the other modality. */
  private async runTower(t: Tower, feeds: Record<string, Feed>, n: number): Promise<Float32Array[]> {
    const { session, output } = await this.tower(t);
    const available = { ...(t === 'text' ? this.dummyImage() : this.textFeeds([''])), ...feeds };
    const picked: Record<string, Feed> = {};
    for (const name of session.inputNames) {
      if (!available[name]) throw new VlmError(`${session.file}: unsupported graph input '${name}'`);
      picked[name] = available[name];
    }
    const { data, dims } = await session.run(picked, output);
    const width = dims[dims.length - 1];
    if (dims[0] !== n || data.length !== n * width) throw new VlmError(`${session.file}: output ${output} has shape [${dims.join(', ')}], expected [${n}, ${width}]`);
    if (this.dim && width !== this.dim) throw new VlmError(`${session.file}: output ${output} is ${width}-d but config.json says ${this.dim}`);
    return Array.from({ length: n }, (_, i) => l2normalize(data.slice(i * width, (i + 1) * width)));
  }

  async embedTexts(texts: string[], _opts?: EmbedTextOptions): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const step = this.opts.textBatch ?? 64;
    for (let i = 0; i < texts.length; i += step) {
      const chunk = texts.slice(i, i + step);
      out.push(...(await this.runTower('text', this.textFeeds(chunk), chunk.length)));
    }
    return out;
  }

  private async pixels(inputs: ImageInput[]): Promise<Float32Array> {
    const { spec, crop } = this.image;
    const px = await preprocessBatch(inputs, spec);
    return crop ? centerCropNchw(px, inputs.length, spec.width, spec.height, crop) : px;
  }

  async embedImages(inputs: ImageInput[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const step = this.opts.imageBatch ?? 16;
    const { width, height } = this.image;
    // Decode the next batch (libuv threads) while onnxruntime runs the current one.
    let next = inputs.length > 0 ? this.pixels(inputs.slice(0, step)) : undefined;
    for (let i = 0; i < inputs.length; i += step) {
      const n = Math.min(step, inputs.length - i);
      const px = await next!;
      next = i + step < inputs.length ? this.pixels(inputs.slice(i + step, i + 2 * step)) : undefined;
      next?.catch(() => undefined); // surfaced when awaited
      out.push(...(await this.runTower('vision', { pixel_values: { type: 'float', data: px, dims: [n, 3, height, width] } }, n)));
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const p of all) await p.then((s) => s.release(), () => undefined);
  }
}

/** Embedding width from config.json (CLIP, Chinese-CLIP: projection_dim; SigLIP: the towers' hidden size). */
function configDim(layout: ModelLayout): number | undefined {
  const c = layout.config;
  if (layout.modelType !== 'siglip') return typeof c.projection_dim === 'number' ? c.projection_dim : undefined;
  const t = (c.text_config ?? {}) as Record<string, unknown>;
  const v = t.projection_size ?? t.hidden_size;
  return typeof v === 'number' ? v : undefined;
}

const SAMPLES = 9;
const SAMPLE_BYTES = 64 * 1024;

/**
 * Hashes evenly spaced 64 KiB samples of a graph file: two checkpoints of one architecture (a fine-tune, or
 * random fixtures) have the same config and sizes but different weights throughout, and reading ~0.6 MB
 * keeps a cold start fast where hashing a 600 MB file would not.
 */
function sampleFile(h: Hash, file: string): void {
  const size = statSync(file).size;
  h.update(`${basename(file)}:${size};`);
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    for (let i = 0; i < SAMPLES; i++) {
      const at = Math.floor(((size - SAMPLE_BYTES) * i) / (SAMPLES - 1));
      const n = readSync(fd, buf, 0, SAMPLE_BYTES, Math.max(0, at));
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** Stable across machines and copies: model name, variant, and a hash of config.json plus samples of the graph files. */
function encoderId(layout: ModelLayout): string {
  const g = layout.graphs;
  const files = g.kind === 'split' ? [g.text, g.vision] : [g.model];
  const h = createHash('sha256').update(JSON.stringify(layout.config));
  for (const f of files) sampleFile(h, f);
  const name = typeof layout.config._name_or_path === 'string' && layout.config._name_or_path ? basename(layout.config._name_or_path) : basename(layout.dir);
  return `onnx:${layout.modelType}:${name}:${layout.variant}:${h.digest('hex').slice(0, 10)}`;
}
