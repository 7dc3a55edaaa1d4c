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
import { applyConv, conv2d, convOutShape, inputGradPads, winogradOf, type ConvGeometry, type ConvPasses } from './conv.ts';
import { filterCacheActive } from './filterCache.ts';
import { leakyRelu } from './elementwise.ts';
import { useComposedGradients } from './policy.ts';
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

/** With `pool`, dy is the pooled output's gradient: the kernels read it as 0.25·up2(dy) (PoolFusion). */
const fusedPasses = (g: ConvGeometry, leak: number, pool: boolean): ConvPasses => ({
  value: (x, w, b) => winogradConv2d(x, winogradOf(w, false), b, [g.pad, g.pad, g.pad, g.pad], w.shape[3], { leak, input: true }, { pool }),
  inputGrad: (dy, x, w) => {
    const [n, ho, wo, co] = dy.shape;
    const pads = inputGradPads(w.shape, x.shape, pool ? [n, 2 * ho, 2 * wo, co] : dy.shape, g);
    return winogradConv2d(dy, winogradOf(w, true), null, pads, w.shape[2], { leak, gate: x }, { unpool: pool });
  },
  filterGrad: (x, dy) => winogradFilterGrad(x, dy, g.pad, leak, pool),
});

/**
 * conv2d(lrelu(x), w) + b (lrelu's slope below 0: `leak`), followed by a 2x2 average pool
 * where `pool` (fused into the kernels, PoolFusion in winograd.ts); `frozen` as in conv2d.
 */
export function conv2dAfterLeaky(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry, leak: number, frozen = false, pool = false): tf.Tensor4D {
  if (!useComposedGradients() || !fusable(x, w, g, pool)) {
    const y = conv2d(leakyRelu(x, leak), w, b, g, frozen);
    return pool ? avgPool2(y) : y;
  }
  return applyConv(`lrelu ${leak}/${g.stride}/${g.pad}${pool ? '/pool' : ''}`, () => fusedPasses(g, leak, pool), x, w, b, frozen);
}
