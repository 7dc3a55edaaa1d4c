/** Stateless layer functions shared by the model families. */
import * as tf from '../tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import { conv2d, type ConvGeometry } from '../ops/conv.ts';
import { denseOp } from '../ops/dense.ts';
import { param, type Params } from '../params.ts';

export const LEAK = 0.2;

export function dense(p: Params, name: string, x: tf.Tensor2D, frozen = false): tf.Tensor2D {
  return denseOp(x, param(p, `${name}.w`) as tf.Tensor2D, param(p, `${name}.b`) as tf.Tensor1D, frozen);
}

export function conv(p: Params, name: string, x: tf.Tensor4D, g: ConvGeometry, frozen: boolean): tf.Tensor4D {
  return conv2d(x, param(p, `${name}.w`) as tf.Tensor4D, param(p, `${name}.b`) as tf.Tensor1D, g, frozen);
}

export const lrelu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, LEAK);
