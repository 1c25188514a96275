import { tf } from './tf.js';

/**
 * Matrix products with gradients that transpose explicitly.
 * On the wasm backend tfjs' own matMul gradient calls matMul with transposeA/transposeB, which runs ~15x slower
 * than a plain product; materialising the transpose first and multiplying normally is much faster (DESIGN.md §4).
 */

type Input = tf.Tensor | tf.GradSaveFunc;
type GradFn<T extends tf.Tensor> = (...args: Input[]) => { value: T; gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor[] };

const matmulGrad = tf.customGrad(((...args: Input[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)];
    },
  };
}) as GradFn<tf.Tensor2D>);

const bmmGrad = tf.customGrad(((...args: Input[]) => {
  const [a, b, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor3D[];
      return [tf.matMul(dy, tf.transpose(sb, [0, 2, 1])), tf.matMul(tf.transpose(sa, [0, 2, 1]), dy)];
    },
  };
}) as GradFn<tf.Tensor3D>);

/** [m, k] x [k, n] -> [m, n]. */
export function matmul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matmulGrad(a, b) as tf.Tensor2D;
}

/** Batched [z, m, k] x [z, k, n] -> [z, m, n]. */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return bmmGrad(a, b) as tf.Tensor3D;
}

/** x [..., in] . w [in, out] (+ b [out]) -> [..., out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1] as number;
  const outDim = w.shape[1] as number;
  const lead = x.shape.slice(0, -1) as number[];
  let y: tf.Tensor = matmul(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, w as tf.Tensor2D);
  if (b) y = tf.add(y, b);
  return tf.reshape(y, [...lead, outDim]);
}
