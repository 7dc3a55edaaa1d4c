/**
 * Leaky ReLU and 2x2 average pooling with cheaper gradients than TF.js's defaults
 * (see policy.ts). Measured on the reference iteration (WASM): the default leaky-ReLU
 * gradient costs Greater + Select + Mul, and AvgPoolGrad ~0.4 s per iteration.
 *   d lrelu(x)/dx = step(x, alpha)               (one Step kernel: 1 if x > 0 else alpha)
 *   d avgpool2(x)  = 0.25 · nearest-upsample(dy)  (exact for 2x2 windows, stride 2, even sizes)
 */
import * as tf from '../tf.ts';
import { useComposedGradients } from './policy.ts';

type Op = (x: tf.Tensor) => tf.Tensor;
const leakyOps = new Map<number, Op>();

function composedLeakyRelu(alpha: number): Op {
  let op = leakyOps.get(alpha);
  if (!op) {
    op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x]);
      return { value: tf.leakyRelu(x, alpha), gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => dy.mul(tf.step(sx!, alpha)) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op;
    leakyOps.set(alpha, op);
  }
  return op;
}

export function leakyRelu<T extends tf.Tensor>(x: T, alpha: number): T {
  return (useComposedGradients() ? composedLeakyRelu(alpha)(x) : tf.leakyRelu(x, alpha)) as T;
}

const composedAvgPool2 = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([]);
  return {
    value: tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'),
    gradFunc: (dy: tf.Tensor) => {
      const [, h, w] = dy.shape as [number, number, number, number];
      return tf.image.resizeNearestNeighbor(dy as tf.Tensor4D, [2 * h, 2 * w]).mul(0.25);
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;

/** 2x2 average pooling, stride 2. Odd sizes fall back to TF.js's op (its gradient covers them). */
export function avgPool2(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  return useComposedGradients() && h % 2 === 0 && w % 2 === 0 ? composedAvgPool2(x) : tf.avgPool(x, 2, 2, 'valid');
}
