import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixture } from '../../scripts/fixtures/checkpoints.js';
import { isOnnxModelDir, loadOnnxEncoder } from '../../src/encoders/onnx/index.js';
import { VlmError } from '../../src/util/errors.js';

let root: string, clip: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'vlm-onnx-layout-'));
  clip = writeFixture('clip', join(root, 'clip')).dir;
});

after(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the CLIP fixture without some of its files. */
function without(name: string, ...files: string[]): string {
  const dir = join(root, name);
  cpSync(clip, dir, { recursive: true });
  for (const f of files) rmSync(join(dir, f));
  return dir;
}

async function loadError(dir: string, variant?: 'fp32' | 'quantized' | 'fp16'): Promise<VlmError> {
  try {
    const enc = await loadOnnxEncoder(dir, { variant });
    await enc.dispose();
  } catch (err) {
    assert.ok(err instanceof VlmError, `expected a VlmError, got ${String(err)}`);
    return err;
  }
  assert.fail(`loading ${dir} should fail`);
}

test('a missing tokenizer.json is named', async () => {
  const err = await loadError(without('no-tokenizer', 'tokenizer.json'));
  assert.match(err.message, /missing tokenizer\.json\. /, 'only tokenizer.json is missing');
});

test('every missing file is named at once', async () => {
  const err = await loadError(without('bare', 'config.json', 'preprocessor_config.json', 'onnx/text_model.onnx', 'onnx/model.onnx'));
  for (const f of ['config.json', 'preprocessor_config.json', 'onnx/text_model.onnx']) assert.ok(err.message.includes(f), `${f} in: ${err.message}`);
  assert.ok(!err.message.includes('onnx/vision_model.onnx and'), 'the vision graph is there');
});

test('a missing variant is named, with the variants that are present', async () => {
  const dir = without('no-fp16', 'onnx/text_model_fp16.onnx', 'onnx/vision_model_fp16.onnx', 'onnx/model_fp16.onnx');
  const err = await loadError(dir, 'fp16');
  assert.match(err.message, /onnx\/text_model_fp16\.onnx and onnx\/vision_model_fp16\.onnx \(or onnx\/model_fp16\.onnx\)/);
  assert.match(err.message, /present: fp32, quantized/);
  const ok = await loadOnnxEncoder(dir, { variant: 'quantized' });
  assert.match(ok.id, /:quantized:/);
  await ok.dispose();
});

test('$VLM_ONNX_VARIANT picks the variant when the caller names none', async () => {
  process.env.VLM_ONNX_VARIANT = 'fp16';
  try {
    const enc = await loadOnnxEncoder(clip);
    assert.match(enc.id, /:fp16:/);
    await enc.dispose();
    const explicit = await loadOnnxEncoder(clip, { variant: 'fp32' });
    assert.match(explicit.id, /:fp32:/);
    await explicit.dispose();
  } finally {
    delete process.env.VLM_ONNX_VARIANT;
  }
});

test('a folder that does not exist, an unknown variant and an unsupported model_type are refused clearly', async () => {
  assert.match((await loadError(join(root, 'nope'))).message, /does not exist/);
  assert.match((await loadError(clip, 'int4' as 'fp32')).message, /unknown ONNX variant 'int4'/);
  const dir = without('bert', 'config.json');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
  assert.match((await loadError(dir)).message, /unsupported model_type 'bert'/);
  writeFileSync(join(dir, 'config.json'), '{ not json');
  assert.match((await loadError(dir)).message, /config\.json is not valid JSON/);
});

test('a truncated graph file gives a VlmError naming it', async () => {
  const dir = without('truncated');
  writeFileSync(join(dir, 'onnx', 'text_model.onnx'), Buffer.from('not a protobuf'));
  const enc = await loadOnnxEncoder(dir);
  await assert.rejects(enc.embedTexts(['a dog']), (err: Error) => err instanceof VlmError && err.message.includes('text_model.onnx'));
  // the vision tower is independent and still works
  assert.equal((await enc.embedImages([{ width: 8, height: 8, data: new Uint8Array(192) }])).length, 1);
  await enc.dispose();
});

test('isOnnxModelDir recognises checkpoint folders, complete or not', () => {
  assert.equal(isOnnxModelDir(clip), true);
  assert.equal(isOnnxModelDir(without('only-graphs', 'config.json', 'tokenizer.json')), true);
  const empty = join(root, 'empty');
  mkdirSync(empty);
  assert.equal(isOnnxModelDir(empty), false);
  assert.equal(isOnnxModelDir(join(root, 'missing')), false);
  assert.equal(isOnnxModelDir(join(clip, 'config.json')), false);
  const native = join(root, 'native');
  mkdirSync(native);
  writeFileSync(join(native, 'config.json'), JSON.stringify({ architecture: 'vlm-lit', dim: 256 }));
  assert.equal(isOnnxModelDir(native), false);
});
