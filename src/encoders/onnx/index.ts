/** The `onnx` Encoder backend: pretrained CLIP-family checkpoints (CLIP, SigLIP, Chinese-CLIP) from a local folder. */
import { OnnxEncoder, type OnnxEncoderOptions } from './onnx-encoder.js';

export { isOnnxModelDir, type OnnxVariant, type ModelType } from './layout.js';
export { OnnxEncoder, type OnnxEncoderOptions } from './onnx-encoder.js';

/**
 * Loads a checkpoint folder in the Hugging Face / transformers.js layout (config.json, tokenizer.json,
 * tokenizer_config.json, preprocessor_config.json, onnx/{text_model,vision_model}[_quantized|_fp16].onnx
 * or onnx/model*.onnx). Local files only: nothing is ever downloaded. A missing or incomplete folder
 * throws a VlmError naming the missing files.
 */
export function loadOnnxEncoder(dir: string, opts: OnnxEncoderOptions = {}): Promise<OnnxEncoder> {
  return OnnxEncoder.load(dir, opts);
}
