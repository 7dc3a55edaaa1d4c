/**
 * Transposed 2-D convolution (NHWC; filter [k, k, Cin, Cout]: input channel ci at input
 * pixel i adds w[a, b, ci, co] to output pixel s·i + (a, b) - pad) as our op (policy.ts):
 *   convT(x, w) = conv(dilate(x, s) zero-padded by k-1-pad, w flipped in space)
 * with gradients
 *   dx = conv(dy, w with in/out channels swapped, stride s, padding pad)   (its adjoint)
 *   dw = the filter gradient of that convolution, flipped back;  db = dy summed
 * The FastGAN decoder of the paper's code starts with one on a 1x1 input (the latent as
 * a 1x1 map); there every output pixel reads exactly one filter tap, so it is a matrix
 * product with the filter laid out as [Cin, k·k·Cout] (16x fewer multiplies than the
 * convolution over the zero-padded 7x7 map at k = 4). The rearranged filters are kept
 * per FilterCache scope (a restoration chain runs the decoder every step).
 */
import * as tf from '../core/tf.ts';
import { biasGrad, convBias, convFilterGrad, type ConvGeometry } from './conv.ts';
import { dilateSpatial } from './spatialPad.ts';
import { derived } from './filterCache.ts';
import { registerComposedKernel, registerGradientOnce, useComposedGradients } from './policy.ts';

const matrixPath = (x: readonly number[], g: ConvGeometry): boolean => x[1] === 1 && x[2] === 1 && g.pad === 0;
const geometry = (a: tf.NamedAttrMap): ConvGeometry => ({ stride: a.stride as number, pad: a.pad as number });

/** Made once per FilterCache scope in our kernel (off the tape); on other backends, on the tape every pass. */
type Keep = <T extends tf.Tensor>(kind: string, w: tf.Tensor, make: () => T) => T;
const kept: Keep = (kind, w, make) => derived(kind, w, make);
const onTape: Keep = (_, __, make) => make();

/** w [k,k,Ci,Co] as the matrix [Ci, k·k·Co] of the 1x1-input case. */
const asMatrix = (w: tf.Tensor4D, keep: Keep): tf.Tensor2D =>
  keep('convT-matrix', w, () => {
    const [k, , ci, co] = w.shape;
    return w.transpose([2, 0, 1, 3]).reshape([ci, k * k * co]) as tf.Tensor2D;
  });

/** x dilated by the stride and zero-padded by k-1-pad: the input of the equivalent convolution. */
function spread(x: tf.Tensor4D, k: number, g: ConvGeometry): tf.Tensor4D {
  const edge = k - 1 - g.pad;
  return dilateSpatial(x, g.stride).pad([
    [0, 0],
    [edge, edge],
    [edge, edge],
    [0, 0],
  ]) as tf.Tensor4D;
}

/** convT(x, w) + b, without the op's bookkeeping (the kernel, and the path on other backends). */
function convTransposeValue(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry, keep: Keep): tf.Tensor4D {
  const [n, , , ci] = x.shape;
  const [k, , , co] = w.shape;
  if (matrixPath(x.shape, g)) {
    const bias = b.reshape([1, co]).tile([1, k * k]);
    return tf
      .matMul(x.reshape([n, ci]), asMatrix(w, keep))
      .add(bias)
      .reshape([n, k, k, co]);
  }
  return convBias(
    spread(x, k, g),
    keep('convT-flip', w, () => w.reverse([0, 1])),
    b,
    { stride: 1, pad: 0 },
  );
}

// Kernel.
const CONV_TRANSPOSE = 'EcvaeConvTranspose2D';
registerComposedKernel(CONV_TRANSPOSE, ({ x, filter, bias }, a) =>
  convTransposeValue(x as tf.Tensor4D, filter as tf.Tensor4D, bias as tf.Tensor1D, geometry(a), kept),
);

// Gradient.
/** The gradient passes of the transposed convolution (an object, so that tests can count their calls). */
export const convTransposeGradients = {
  input: (dy: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D => {
    const swapped = derived('convT-adjoint', w, () => w.transpose([0, 1, 3, 2]) as tf.Tensor4D);
    return tf.conv2d(dy, swapped, g.stride, g.pad);
  },
  filter: (x: tf.Tensor4D, dy: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D => {
    const [n, , , ci] = x.shape;
    const [k, , , co] = w.shape;
    if (matrixPath(x.shape, g))
      return tf
        .matMul(x.reshape([n, ci]), dy.reshape([n, k * k * co]), true, false)
        .reshape([ci, k, k, co])
        .transpose([1, 2, 0, 3]);
    return convFilterGrad(spread(x, k, g), dy, w.shape, { stride: 1, pad: 0 }).reverse([0, 1]);
  },
  bias: (dy: tf.Tensor4D): tf.Tensor1D => biasGrad(dy),
};
registerGradientOnce({
  kernelName: CONV_TRANSPOSE,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, [x, w], attrs) => {
    const [d, sx, sw, g] = [dy as tf.Tensor4D, x as tf.Tensor4D, w as tf.Tensor4D, geometry(attrs)];
    return {
      x: () => convTransposeGradients.input(d, sw, g),
      filter: () => convTransposeGradients.filter(sx, d, sw, g),
      bias: () => convTransposeGradients.bias(d),
    };
  },
});

// Op.
export function convTranspose2d(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry): tf.Tensor4D {
  const [k, kw, wci] = w.shape;
  if (k !== kw || wci !== x.shape[3]) throw new Error(`internal: convTranspose2d filter ${w.shape} does not fit input ${x.shape}`);
  if (g.pad > k - 1) throw new Error(`internal: convTranspose2d padding ${g.pad} exceeds kernel ${k} - 1`);
  if (!useComposedGradients()) return convTransposeValue(x, w, b, g, onTape);
  return tf.engine().runKernel(CONV_TRANSPOSE, { x, filter: w, bias: b }, { stride: g.stride, pad: g.pad }) as tf.Tensor4D;
}
