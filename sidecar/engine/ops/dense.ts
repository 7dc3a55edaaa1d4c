/**
 * Dense layer x·W + b with gradients through plain (non-transposed) matMuls:
 *   dx = dy · W^T,  dW = x^T · dy,  db = sum_rows(dy)
 * with the transposes materialised first; see policy.ts for why.
 */
import * as tf from '../core/tf.ts';
import { isConstantInput } from './constantInputs.ts';
import { derived } from './filterCache.ts';
import { useComposedGradients } from './policy.ts';

type Dense3 = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
type Dense1 = (x: tf.Tensor2D) => tf.Tensor2D;

const trainable = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D).add(b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, sw.transpose()), tf.matMul(sx.transpose(), dy as tf.Tensor2D), dy.sum(0)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Dense3;

function frozen(w: tf.Tensor2D, b: tf.Tensor1D): Dense1 {
  return tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.matMul(x as tf.Tensor2D, w).add(b),
      // Wᵀ made once per FilterCache scope (an SGLD chain differentiates this layer every step).
      gradFunc: (dy: tf.Tensor) => [
        tf.matMul(
          dy as tf.Tensor2D,
          derived('dense-t', w, () => w.transpose()),
        ),
      ],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Dense1;
}

/** The op (W, b) -> x·W + b for a constant input x (constantInputs.ts): dx is not computed. */
function constantInput(x: tf.Tensor2D): (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D {
  return tf.customGrad(((w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.matMul(x, w as tf.Tensor2D).add(b),
      gradFunc: (dy: tf.Tensor) => [tf.matMul(x.transpose(), dy as tf.Tensor2D), dy.sum(0)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
}

/** x·W + b. `isFrozen` promises no gradient with respect to W and b is needed. */
export function denseOp(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, isFrozen = false): tf.Tensor2D {
  if (!useComposedGradients()) return tf.matMul(x, w).add(b);
  if (isFrozen || (isConstantInput(w) && isConstantInput(b))) return frozen(w, b)(x);
  return isConstantInput(x) ? constantInput(x)(w, b) : trainable(x, w, b);
}
