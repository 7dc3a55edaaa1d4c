/**
 * Dense layer x·W + b as our op (policy.ts) with gradients through plain (non-transposed)
 * matMuls, one lazy thunk per input:
 *   dx = dy · Wᵀ,  dW = xᵀ · dy,  db = sum_rows(dy)
 * with the transposes materialised first (Wᵀ kept per FilterCache scope: an SGLD chain
 * differentiates the layer every step); see policy.ts for why.
 */
import * as tf from '../core/tf.ts';
import { derived } from './filterCache.ts';
import { registerComposedKernel, registerGradientOnce, useComposedGradients } from './policy.ts';

// Kernel.
const DENSE = 'EcvaeDense';
registerComposedKernel(DENSE, ({ x, w, bias }) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D).add(bias!));

// Gradient.
/** The gradient passes of the dense op (an object, so that tests can count their calls). */
export const denseGradients = {
  input: (dy: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D =>
    tf.matMul(
      dy,
      derived('dense-t', w, () => w.transpose()),
    ),
  weight: (x: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D => tf.matMul(x.transpose(), dy),
  bias: (dy: tf.Tensor2D): tf.Tensor1D => dy.sum(0),
};
registerGradientOnce({
  kernelName: DENSE,
  inputsToSave: ['x', 'w'],
  gradFunc: (dy, [x, w]) => {
    const d = dy as tf.Tensor2D;
    return {
      x: () => denseGradients.input(d, w as tf.Tensor2D),
      w: () => denseGradients.weight(x as tf.Tensor2D, d),
      bias: () => denseGradients.bias(d),
    };
  },
});

// Op.
/** x·W + b. */
export function denseOp(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (!useComposedGradients()) return tf.matMul(x, w).add(b);
  return tf.engine().runKernel(DENSE, { x, w, bias: b }) as tf.Tensor2D;
}
