import { VlmError } from '../../util/errors.js';

/** Vectors of two models live in unrelated spaces: a library (and a query against it) uses one model only. */
export function assertSameModel(metadata: Record<string, unknown>, encoderId: string): void {
  const stored = metadata.encoder;
  if (typeof stored !== 'string' || stored === encoderId) return;
  const model = typeof metadata.model === 'string' ? ` (--model ${metadata.model})` : ' (the default model)';
  throw new VlmError(
    `this library was indexed with model ${stored}${model}, but the model in use is ${encoderId}: ` +
      'pass the same --model, or index into a new --db',
  );
}
