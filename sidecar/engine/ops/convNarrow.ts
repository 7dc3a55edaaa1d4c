/**
 * 3x3 stride-1 "same" convolutions whose narrow side has at most 4 channels, on WASM,
 * through our GEMM (kernels/assembly/narrow.ts): the forward pass of a convolution from
 * such a narrow input (the energy model's RGB stem) and the input gradient of one (its
 * gradient with respect to the image, every SGLD step).
 *
 * Why: Winograd's transforms run over the wide side and cost more than its products save
 * (winograd.ts winogradSuits), and XNNPACK's direct convolution of 3 input channels runs
 * at ~27 GFLOP/s (narrowSuits has the measurements).
 */
import * as tf from '../core/tf.ts';
import { derived } from './filterCache.ts';
import { offsetOf, ourKernelsAvailable, registerWasmKernel, withTables } from './wasmKernels.ts';

const CONV = 'EcvaeNarrowConv';
const GRAD = 'EcvaeNarrowConvInputGrad';
const MAX_NARROW = 4;

function register(): void {
  if (tf.getKernel(CONV, 'wasm')) return;
  registerWasmKernel(CONV, ({ x, w, bias }, _, b, k) => {
    const [n, h, wd, c] = x!.shape as [number, number, number, number];
    const co = w!.shape[3]!;
    const y = b.makeOutput([n, h, wd, co], 'float32');
    withTables(b, [], k.narrowScratchBytes(h, wd, c), (_, scratch) =>
      k.narrowConv(offsetOf(b, x!), n, h, wd, c, offsetOf(b, w!), co, bias ? offsetOf(b, bias) : 0, offsetOf(b, y), scratch),
    );
    return y;
  });
  registerWasmKernel(GRAD, ({ dy, wt }, attrs, b, k) => {
    const [n, h, wd, co] = dy!.shape as [number, number, number, number];
    const c = attrs.channels as number;
    const dx = b.makeOutput([n, h, wd, c], 'float32');
    withTables(b, [], k.narrowScratchBytes(h, wd, c), (_, scratch) =>
      k.narrowConvGrad(offsetOf(b, dy!), n, h, wd, co, offsetOf(b, wt!), c, offsetOf(b, dx), scratch),
    );
    return dx;
  });
}

/**
 * Whether a 3x3 stride-1 padding-1 convolution by w [3,3,Ci,Co] with Ci <= 4 (and Co a
 * multiple of 4) runs here: its forward pass always, its input gradient (Ci wide) from
 * Co >= 32 on, as `npm run bench:kernels` measured (docs/performance.md, Kernels): for
 * 1->8 channels (MNIST) the forward pass wins but the input gradient loses, too narrow on
 * both sides for the GEMM.
 */
export function narrowSuits(w: readonly number[], stride: number, pad: number, pass: 'forward' | 'inputGrad'): boolean {
  const [kh, kw, ci, co] = w as [number, number, number, number];
  if (kh !== 3 || kw !== 3 || stride !== 1 || pad !== 1 || ci > MAX_NARROW || co % 4 !== 0) return false;
  if (pass === 'inputGrad' && co < 32) return false;
  return ourKernelsAvailable();
}

/** conv2d(x, w) + bias, stride 1, padding 1, where narrowSuits(.., 'forward'). */
export function narrowConv2d(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D | null): tf.Tensor4D {
  register();
  return tf.engine().runKernel(CONV, bias ? { x, w, bias } : { x, w }) as tf.Tensor4D;
}

/** The gradient with respect to x of conv2d(x, w) (stride 1, padding 1) from dy, where narrowSuits(.., 'inputGrad'). */
export function narrowConvInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  register();
  const [, , ci, co] = w.shape;
  return tf.tidy(() => {
    // wᵀ as [Co, 9·Ci] (taps (di, dj, c) in w's order), zero columns up to a multiple of 4; kept per FilterCache scope.
    const wt = derived('narrow-t', w, () => {
      const t = w.reshape([9 * ci, co]).transpose();
      const k = 9 * ci;
      return k % 4
        ? t.pad([
            [0, 0],
            [0, 4 - (k % 4)],
          ])
        : t;
    });
    return tf.engine().runKernel(GRAD, { dy, wt }, { channels: ci }) as tf.Tensor4D;
  });
}
