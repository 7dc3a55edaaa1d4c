/**
 * Tensors no gradient has to reach in the current pass: the data an objective is computed
 * on (objectives.ts), while its gradient is taken with respect to the parameters only;
 * and the parameters of a chain that moves only its sample (restoration's latent chain,
 * the calibrated prior's latent chains), whose conv and dense ops then run frozen.
 *
 * Why: TF.js skips the gradient of a built-in op's input that does not lead back to what
 * is differentiated, but a tf.customGrad op returns all its input gradients at once, so
 * our convolution and dense ops would compute the gradient with respect to the data
 * regardless. They ask `isConstantInput` and leave it out: the encoder's first
 * convolution (a stride-2 input gradient) and the energy's stem in the EBM update (two
 * 32->3 input gradients), each iteration.
 */
import type * as tf from '../core/tf.ts';

let constants: ReadonlySet<tf.Tensor> | undefined;

/** Runs `f` (synchronously) with `inputs` marked as needing no gradient, in addition to any outer scope's. */
export function withConstantInputs<T>(inputs: readonly tf.Tensor[], f: () => T): T {
  const outer = constants;
  constants = new Set([...(outer ?? []), ...inputs]);
  try {
    return f();
  } finally {
    constants = outer;
  }
}

/** Whether no gradient with respect to `x` is needed in the current pass. */
export function isConstantInput(x: tf.Tensor): boolean {
  return constants?.has(x) ?? false;
}
