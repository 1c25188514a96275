/**
 * The Hugging Face / transformers.js checkpoint layout: which files a CLIP-family folder must hold,
 * and which ONNX graph files serve a requested weight variant. Reads only small JSON files.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VlmError } from '../../util/errors.js';

export type OnnxVariant = 'fp32' | 'quantized' | 'fp16';
export const ONNX_VARIANTS: readonly OnnxVariant[] = ['fp32', 'quantized', 'fp16'];
export type ModelType = 'clip' | 'siglip' | 'chinese_clip';
export const MODEL_TYPES: readonly ModelType[] = ['clip', 'siglip', 'chinese_clip'];

/** transformers.js file-name suffix of each variant (onnx/text_model_quantized.onnx, ...). */
const SUFFIX: Record<OnnxVariant, string> = { fp32: '', quantized: '_quantized', fp16: '_fp16' };

/** The towers as graph files: one per tower (CLIP, SigLIP exports) or one combined model.onnx (Chinese-CLIP exports). */
export type GraphFiles = { kind: 'split'; text: string; vision: string } | { kind: 'combined'; model: string };

export interface ModelLayout {
  dir: string;
  modelType: ModelType;
  variant: OnnxVariant;
  config: Record<string, unknown>;
  tokenizerJson: Record<string, unknown>;
  /** {} when the folder has no tokenizer_config.json (it is optional: defaults come from config.json). */
  tokenizerConfig: Record<string, unknown>;
  preprocessorConfig: Record<string, unknown>;
  graphs: GraphFiles;
}

const REQUIRED_JSON = ['config.json', 'tokenizer.json', 'preprocessor_config.json'] as const;

/** Exported ONNX files live in onnx/ (transformers.js); some exports put them at the top level. */
function findGraph(dir: string, stem: string): string | undefined {
  for (const rel of [join('onnx', stem), stem]) if (existsSync(join(dir, rel))) return join(dir, rel);
  return undefined;
}

function readJson(dir: string, name: string): Record<string, unknown> {
  const file = join(dir, name);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new VlmError(`${file} is not valid JSON (${(err as Error).message}); re-download the checkpoint folder`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new VlmError(`${file} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/** model_type from config.json, or undefined if the folder has none readable. */
export function readModelType(dir: string): string | undefined {
  try {
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { model_type?: unknown };
    return typeof cfg.model_type === 'string' ? cfg.model_type : undefined;
  } catch {
    return undefined;
  }
}

/** Graph files of a variant, or undefined when the folder lacks them. */
function graphsFor(dir: string, variant: OnnxVariant): { graphs?: GraphFiles; missing: string[] } {
  const s = SUFFIX[variant];
  const text = findGraph(dir, `text_model${s}.onnx`);
  const vision = findGraph(dir, `vision_model${s}.onnx`);
  if (text && vision) return { graphs: { kind: 'split', text, vision }, missing: [] };
  const model = findGraph(dir, `model${s}.onnx`);
  if (model) return { graphs: { kind: 'combined', model }, missing: [] };
  const missing = [!text && `onnx/text_model${s}.onnx`, !vision && `onnx/vision_model${s}.onnx`].filter((x): x is string => !!x);
  return { missing: [`${missing.join(' and ')} (or onnx/model${s}.onnx)`] };
}

/** Variants whose graph files are present, for error messages. */
export function availableVariants(dir: string): OnnxVariant[] {
  return ONNX_VARIANTS.filter((v) => graphsFor(dir, v).graphs);
}

/**
 * Checks the folder and reads its JSON files. A missing or incomplete folder gives one VlmError that
 * names every missing file, so the user fixes it in one go.
 */
export function resolveLayout(dir: string, variant: OnnxVariant): ModelLayout {
  if (!ONNX_VARIANTS.includes(variant)) throw new VlmError(`unknown ONNX variant '${variant}' (use ${ONNX_VARIANTS.join(', ')})`);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new VlmError(`model folder ${dir} does not exist; see docs/pretrained.md for how to get a checkpoint folder`);
  }
  const missing: string[] = REQUIRED_JSON.filter((f) => !existsSync(join(dir, f)));
  const found = graphsFor(dir, variant);
  missing.push(...found.missing);
  if (missing.length > 0 || !found.graphs) {
    const other = availableVariants(dir).filter((v) => v !== variant);
    const hint = found.graphs || other.length === 0 ? '' : `; variant(s) present: ${other.join(', ')}`;
    throw new VlmError(
      `model folder ${dir} is incomplete: missing ${missing.join(', ')}${hint}. ` +
        'A CLIP-family checkpoint in the transformers.js layout needs config.json, tokenizer.json, preprocessor_config.json and onnx/*.onnx (see docs/pretrained.md)',
    );
  }
  const config = readJson(dir, 'config.json');
  const modelType = config.model_type;
  if (!MODEL_TYPES.includes(modelType as ModelType)) {
    throw new VlmError(`${join(dir, 'config.json')}: unsupported model_type '${String(modelType)}' (supported: ${MODEL_TYPES.join(', ')})`);
  }
  return {
    dir,
    modelType: modelType as ModelType,
    variant,
    config,
    tokenizerJson: readJson(dir, 'tokenizer.json'),
    tokenizerConfig: existsSync(join(dir, 'tokenizer_config.json')) ? readJson(dir, 'tokenizer_config.json') : {},
    preprocessorConfig: readJson(dir, 'preprocessor_config.json'),
    graphs: found.graphs,
  };
}

/**
 * True when `dir` looks like a CLIP-family checkpoint folder (config.json with a supported
 * model_type, or an onnx/ folder with text_model/vision_model/model graphs). Incomplete folders count,
 * so that loading them reports what is missing instead of trying another backend.
 */
export function isOnnxModelDir(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
  } catch {
    return false;
  }
  if (MODEL_TYPES.includes(readModelType(dir) as ModelType)) return true;
  return ONNX_VARIANTS.some((v) => {
    const s = SUFFIX[v];
    return ['text_model', 'vision_model', 'model'].some((stem) => existsSync(join(dir, 'onnx', `${stem}${s}.onnx`)));
  });
}
