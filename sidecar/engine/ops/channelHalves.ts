/**
 * The two channel halves of an NHWC tensor, [.., 2C] -> [.., C] and [.., C] (GLU's split,
 * models/paperLayers.ts), as our op: a kernel per backend and a gradient that joins the
 * halves' gradients back along channels:
 *   a = x[.., :C],  b = x[.., C:],   dx = concat(da, db)
 * On WASM the kernel copies each pixel's two runs of C floats straight from the input's
 * memory into the outputs'. Why: TF.js's WASM Slice (and SplitV, a Slice per part) first
 * reads its whole input back into a fresh JS array, which made each GLU split of the
 * paper32 decoder cost about ten times a Sigmoid of the same tensor (docs/performance.md,
 * paper32 against PyTorch). Elsewhere tf.split.
 */
import * as tf from '../core/tf.ts';
import { registerComposedKernel, registerGradientOnce, useComposedGradients } from './policy.ts';
import type { WasmBackendLike } from './wasmKernels.ts';

const CHANNEL_HALVES = 'EcvaeChannelHalves';

// Kernels.
registerComposedKernel(CHANNEL_HALVES, ({ x }) => tf.split(x!, 2, x!.rank - 1), ['cpu']);
if (!tf.getKernel(CHANNEL_HALVES, 'wasm')) {
  tf.registerKernel({
    kernelName: CHANNEL_HALVES,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as WasmBackendLike;
      const x = (inputs as unknown as { x: tf.TensorInfo }).x;
      const c2 = x.shape[x.shape.length - 1]!,
        c = c2 / 2;
      const shape = [...x.shape.slice(0, -1), c];
      const [a, h] = [b.makeOutput(shape, x.dtype), b.makeOutput(shape, x.dtype)];
      // Views of the backend's memory, taken after both outputs exist (an allocation may grow it).
      const xv = b.typedArrayFromHeap(x),
        av = b.typedArrayFromHeap(a),
        hv = b.typedArrayFromHeap(h);
      const rows = xv.length / c2;
      for (let r = 0, src = 0, dst = 0; r < rows; r++, src += c2, dst += c) {
        av.set(xv.subarray(src, src + c), dst);
        hv.set(xv.subarray(src + c, src + c2), dst);
      }
      return [a, h];
    },
  });
}

// Gradient.
registerGradientOnce({
  kernelName: CHANNEL_HALVES,
  gradFunc: (dys) => {
    const [da, db] = dys as tf.Tensor[];
    return { x: () => tf.concat([da!, db!], da!.rank - 1) };
  },
});

// Op.
/** x's first and second halves along its last axis (even-sized). */
export function channelHalves<T extends tf.Tensor>(x: T): [T, T] {
  const c2 = x.shape[x.rank - 1]!;
  if (c2 % 2 !== 0) throw new Error(`internal: channel halves of ${c2} channels`);
  if (!useComposedGradients()) return tf.split(x, 2, x.rank - 1) as [T, T];
  return tf.engine().runKernel(CHANNEL_HALVES, { x }) as unknown as [T, T];
}
