import * as tf from '../core/tf.ts';

/**
 * Whether layer ops use our composed gradients (forward kernels + explicit transposes)
 * instead of TF.js's built-in gradient kernels. Measured on WASM: Conv2DBackpropFilter
 * does not exist, and matMul with transposeA/transposeB runs far slower than an
 * explicit transpose followed by a plain matMul. Native/GPU backends keep their own.
 */
export function useComposedGradients(): boolean {
  const b = tf.getBackend();
  return b === 'wasm' || b === 'cpu';
}
