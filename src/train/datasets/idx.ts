import { gunzipSync } from 'node:zlib';
import { VlmError } from '../../util/errors.js';

export interface IdxArray {
  /** Sizes of each dimension, outermost first (e.g. [10000, 28, 28]). */
  dims: number[];
  /** All values, row-major. */
  data: Uint8Array;
}

/**
 * Parse an IDX file (the MNIST format: 2 zero bytes, a type byte, a dimension count, big-endian uint32
 * sizes, then the values). Gzipped input is detected and inflated. Only unsigned bytes (type 0x08) are
 * supported: that is all (Fashion-)MNIST uses.
 */
export function parseIdx(input: Uint8Array, source = 'IDX'): IdxArray {
  const buf = input[0] === 0x1f && input[1] === 0x8b ? gunzipSync(input) : input;
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new VlmError(`${source}: not an IDX file (bad magic number)`);
  if (buf[2] !== 0x08) throw new VlmError(`${source}: IDX type 0x${buf[2].toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const ndim = buf[3];
  const headerLength = 4 + 4 * ndim;
  if (ndim === 0 || buf.length < headerLength) throw new VlmError(`${source}: truncated IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== headerLength + count) {
    throw new VlmError(`${source}: IDX header says ${count} values (${dims.join('x')}) but the file holds ${buf.length - headerLength}`);
  }
  return { dims, data: buf.subarray(headerLength, headerLength + count) };
}
