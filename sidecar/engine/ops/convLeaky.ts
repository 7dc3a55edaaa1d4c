/**
 * conv2d(lrelu(x), w) + b, the energy model's pre-activation convolution, with the leaky
 * ReLU fused into the Winograd kernels where both the convolution and its input gradient
 * run through Winograd (winograd.ts LeakyFusion):
 *   forward   y  = conv(lrelu(x)) + b       the input transform applies lrelu as it reads x
 *   input     dx = convᵀ(dy) · lrelu'(x)    the output transform multiplies by the slope
 *   filter    dw = filterGrad(lrelu(x), dy) the input transform again
 * Why: every SGLD step runs these convolutions forward and back, and TF.js's lrelu on WASM
 * is three elementwise passes over the activation (Step, Multiply, Multiply for the
 * gradient), each a memory-bound pass over the activation, while the kernels already
 * read x and write dx.
 * A 2x2 average pool after the convolution fuses into the same kernels (`pool`).
 * Elsewhere (other backends, shapes Winograd does not take): lrelu, conv2d, avgPool2.
 */
import * as tf from '../core/tf.ts';
import { biasGrad, conv2d, convOutShape, inputGradPads, winogradOf, type ConvGeometry } from './conv.ts';
import { filterCacheActive } from './filterCache.ts';
import { leakyRelu } from './elementwise.ts';
import { registerComposedKernel, registerGradientOnce, useComposedGradients } from './policy.ts';
import { avgPool2 } from './resample.ts';
import { winogradConv2d, winogradFilterGrad, winogradSuits } from './winograd.ts';

/** Whether the forward convolution and its input gradient both go through Winograd (with `pool`, on an even output). */
function fusable(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, pool: boolean): boolean {
  const [kh, kw, ci, co] = w.shape;
  const out = convOutShape(x.shape, w.shape, g);
  const cached = filterCacheActive();
  const even = !pool || (out[1]! % 2 === 0 && out[2]! % 2 === 0);
  return even && winogradSuits(x.shape, w.shape, out, g.stride, cached) && winogradSuits(out, [kh, kw, co, ci], x.shape, g.stride, cached);
}

interface FusedAttrs extends ConvGeometry {
  leak: number;
  pool: boolean;
}
const fusedAttrs = (a: tf.NamedAttrMap): FusedAttrs => a as unknown as FusedAttrs;

// Kernel (WASM only: the op runs it where `fusable`).
const CONV_AFTER_LEAKY = 'EcvaeConv2DAfterLeakyRelu';
registerComposedKernel(
  CONV_AFTER_LEAKY,
  ({ x, filter, bias }, attrs) => {
    const a = fusedAttrs(attrs);
    const w = filter as tf.Tensor4D;
    return winogradConv2d(
      x as tf.Tensor4D,
      winogradOf(w, false),
      bias as tf.Tensor1D,
      [a.pad, a.pad, a.pad, a.pad],
      w.shape[3],
      { leak: a.leak, input: true },
      { pool: a.pool },
    );
  },
  ['wasm'],
);

// Gradient: with `pool`, dy is the pooled output's gradient: the kernels read it as 0.25·up2(dy) (PoolFusion).
/** The gradient passes of the fused op (an object, so that tests can count their calls). */
export const leakyConvGradients = {
  input: (dy: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D, a: FusedAttrs): tf.Tensor4D => {
    const [n, ho, wo, co] = dy.shape;
    const pads = inputGradPads(w.shape, x.shape, a.pool ? [n, 2 * ho, 2 * wo, co] : dy.shape, a);
    return winogradConv2d(dy, winogradOf(w, true), null, pads, w.shape[2], { leak: a.leak, gate: x }, { unpool: a.pool });
  },
  filter: (x: tf.Tensor4D, dy: tf.Tensor4D, a: FusedAttrs): tf.Tensor4D => winogradFilterGrad(x, dy, a.pad, a.leak, a.pool),
  bias: (dy: tf.Tensor4D): tf.Tensor1D => biasGrad(dy),
};
registerGradientOnce({
  kernelName: CONV_AFTER_LEAKY,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, [x, w], attrs) => {
    const [d, sx, sw, a] = [dy as tf.Tensor4D, x as tf.Tensor4D, w as tf.Tensor4D, fusedAttrs(attrs)];
    return {
      x: () => leakyConvGradients.input(d, sx, sw, a),
      filter: () => leakyConvGradients.filter(sx, d, a),
      bias: () => leakyConvGradients.bias(d),
    };
  },
});

// Op.
/**
 * conv2d(lrelu(x), w) + b (lrelu's slope below 0: `leak`), followed by a 2x2 average pool
 * where `pool` (fused into the kernels, PoolFusion in winograd.ts).
 */
export function conv2dAfterLeaky(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry, leak: number, pool = false): tf.Tensor4D {
  if (!useComposedGradients() || !fusable(x, w, g, pool)) {
    const y = conv2d(leakyRelu(x, leak), w, b, g);
    return pool ? avgPool2(y) : y;
  }
  const attrs: FusedAttrs = { stride: g.stride, pad: g.pad, leak, pool };
  return tf.engine().runKernel(CONV_AFTER_LEAKY, { x, filter: w, bias: b }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
