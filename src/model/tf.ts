import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

let ready: Promise<typeof tf> | undefined;

/**
 * tfjs on the wasm backend (SIMD). tfjs-node cannot install offline and the pure-JS cpu backend is ~30x slower.
 * The wasm binaries are loaded from the installed package, never from a CDN.
 */
export function initTf(): Promise<typeof tf> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    setWasmPaths(dist + '/');
    await tf.setBackend('wasm');
    await tf.ready();
    return tf;
  })();
  return ready;
}

export { tf };
