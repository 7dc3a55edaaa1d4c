/**
 * Where our ops run, and how their generic kernels are registered.
 *
 * On WASM and CPU the layer ops (conv.ts, convLeaky.ts, convTranspose.ts, dense.ts,
 * spectralNorm.ts) are TF.js ops of our own: a kernel registered by name per backend and
 * a gradient registered by name with one lazy thunk per input, so the tape runs only the
 * gradients the differentiated inputs need. Measured on WASM: Conv2DBackpropFilter does
 * not exist, and matMul with transposeA/transposeB runs far slower than an explicit
 * transpose followed by a plain matMul. Native/GPU backends keep TF.js's own ops and
 * gradients.
 */
import * as tf from '../core/tf.ts';

/** The backends our ops run on. */
export const COMPOSED_BACKENDS = ['wasm', 'cpu'] as const;

export function useComposedGradients(): boolean {
  const b = tf.getBackend();
  return b === 'wasm' || b === 'cpu';
}

/** Input tensors of a composed kernel, by name (engine.runKernel passes the op's Tensor objects through). */
export type KernelTensors = Record<string, tf.Tensor | undefined>;

/**
 * Registers `compute`, a composition of TF.js ops, as the kernel `kernelName` on
 * `backends`. It runs in a tidy; ops inside a kernel are not recorded on the gradient
 * tape (the engine's kernelDepth), so the op's registered gradient is the only one.
 * Each kernel picks its fastest path itself (our WASM kernels where they suit).
 */
export function registerComposedKernel(
  kernelName: string,
  compute: (inputs: KernelTensors, attrs: tf.NamedAttrMap) => tf.Tensor | tf.Tensor[],
  backends: readonly string[] = COMPOSED_BACKENDS,
): void {
  for (const backendName of backends) {
    if (tf.getKernel(kernelName, backendName)) continue;
    tf.registerKernel({
      kernelName,
      backendName,
      kernelFunc: ({ inputs, attrs }) => tf.tidy(() => compute(inputs as unknown as KernelTensors, attrs ?? {})) as unknown as tf.TensorInfo,
    });
  }
}

/** Registers `config` as the gradient of its kernel, once. */
export function registerGradientOnce(config: tf.GradConfig): void {
  if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}
