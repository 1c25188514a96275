import { VlmError } from '../util/errors.js';
import { tensorToFloat32, type SafeTensor } from './safetensors.js';
import { tf } from './tf.js';

export interface ParamOptions {
  /** Updated by the optimizer (false for frozen buffers such as feature statistics). */
  trainable?: boolean;
  /** Gets decoupled weight decay (matrices yes; biases, norms, scales no). */
  decay?: boolean;
}

/**
 * The named tensors of a model, in a fixed order. Names are the safetensors keys, so a checkpoint is just
 * this map written out; the optimizer walks the trainable ones.
 */
export class ParamSet {
  readonly vars = new Map<string, tf.Variable>();
  readonly trainable = new Set<string>();
  readonly decay = new Set<string>();

  add(name: string, shape: number[], values: Float32Array, opts: ParamOptions = {}): tf.Variable {
    if (this.vars.has(name)) throw new VlmError(`parameter ${name} defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new VlmError(`parameter ${name}: ${values.length} values for shape [${shape.join(', ')}]`);
    const trainable = opts.trainable ?? true;
    // Variable names are global in tfjs: make them unique per set so two models can coexist.
    const v = tf.variable(tf.tensor(values, shape), trainable, `${name}#${uid++}`);
    this.vars.set(name, v);
    if (trainable) this.trainable.add(name);
    if (trainable && opts.decay) this.decay.add(name);
    return v;
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new VlmError(`parameter ${name} does not exist`);
    return v;
  }

  trainableVars(): tf.Variable[] {
    return [...this.trainable].map((n) => this.get(n));
  }

  /** Values as F32 safetensors entries, in definition order. */
  toSafeTensors(): Map<string, SafeTensor> {
    const out = new Map<string, SafeTensor>();
    for (const [name, v] of this.vars) out.set(name, { dtype: 'F32', shape: [...v.shape], data: v.dataSync() as Float32Array });
    return out;
  }

  /** Overwrite every parameter from a loaded file; shapes must match exactly. */
  load(tensors: Map<string, SafeTensor>, source: string): void {
    for (const [name, v] of this.vars) {
      const t = tensors.get(name);
      if (!t) throw new VlmError(`${source} lacks weight "${name}": the weights do not match config.json`);
      if (t.shape.join(',') !== v.shape.join(',')) {
        throw new VlmError(`${source}: weight "${name}" has shape [${t.shape.join(', ')}], config.json implies [${v.shape.join(', ')}]`);
      }
      v.assign(tf.tensor(tensorToFloat32(t, name), t.shape));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let uid = 0;

/** Normal(0, std) values from a seeded uniform source (Box-Muller), so initialisation is reproducible. */
export function normalValues(n: number, std: number, rng: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rng(), 1e-12);
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const a = 2 * Math.PI * rng();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

export const zeros = (n: number): Float32Array => new Float32Array(n);
export const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
