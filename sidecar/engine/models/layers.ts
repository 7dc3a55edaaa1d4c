/** Stateless layer functions: leaky ReLU and random Fourier features. */
import * as tf from '../core/tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import { param, type Params } from '../core/params.ts';

export const LEAK = 0.2;

export const lrelu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, LEAK);

/**
 * [sin h, cos h] with h = 2π·x·B, and its gradient with respect to x only: B is a fixed
 * tensor (ParamSpec.fixed), so its gradient is zero and Adam leaves it as initialised.
 * The backward pass reuses the forward's sin and cos: on WASM each costs ~33 ns per
 * element, 15x a multiply, and SGLD differentiates this layer at every step.
 */
const fourierOp = tf.customGrad(((x: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  const h = tf.matMul(x as tf.Tensor2D, b as tf.Tensor2D).mul(2 * Math.PI);
  const sin = tf.sin(h),
    cos = tf.cos(h);
  save([sin, cos, b]);
  return {
    value: tf.concat([sin, cos], 1),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sn, cs, sb] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const [dSin, dCos] = tf.split(dy, 2, 1);
      const dh = dSin!
        .mul(cs)
        .sub(dCos!.mul(sn))
        .mul(2 * Math.PI) as tf.Tensor2D;
      return [tf.matMul(dh, sb, false, true), tf.zerosLike(sb)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * Random Fourier features [sin 2πxB, cos 2πxB] with fixed frequencies B (`${name}.B`,
 * fourierSpecs). An MLP on raw 2-D coordinates is biased toward smooth functions and fits
 * 0.02-wide modes only after thousands of iterations; on these features it fits them in
 * hundreds (Tancik et al. 2020; measured on the toy in bench/oracle/README.md §8–9).
 */
export function fourier(p: Params, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return fourierOp(x, param(p, `${name}.B`) as tf.Tensor2D);
}
