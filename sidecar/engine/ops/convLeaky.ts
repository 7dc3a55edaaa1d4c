/**
 * conv2d(lrelu(x), w) + b, the energy model's pre-activation convolution, with the leaky
 * ReLU fused into the Winograd kernels where both the convolution and its input gradient
 * run through Winograd (winograd.ts LeakyFusion):
 *   forward   y  = conv(lrelu(x)) + b       the input transform applies lrelu as it reads x
 *   input     dx = convᵀ(dy) · lrelu'(x)    the output transform multiplies by the slope
 *   filter    dw = filterGrad(lrelu(x), dy) the input transform again
 * Why: every SGLD step runs these convolutions forward and back, and TF.js's lrelu on WASM
 * is three elementwise passes over the activation (Step, Multiply, Multiply for the
 * gradient), each bound by memory: ~1 ms each for the reference model's [32,32,32,32]
 * activation (tf.profile), while the kernels already read x and write dx.
 * Elsewhere (other backends, shapes Winograd does not take): lrelu, then conv2d.
 */
import * as tf from '../tf.ts';
import { biasGrad, conv2d, filterCacheActive, inputGradPads, winogradOf, type ConvGeometry } from './conv.ts';
import { leakyRelu } from './elementwise.ts';
import { useComposedGradients } from './policy.ts';
import { winogradConv2d, winogradFilterGrad, winogradSuits } from './winograd.ts';

type Op3 = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D;
const trainableOps = new Map<string, Op3>();

/** Whether the forward convolution and its input gradient both go through Winograd. */
function fusable(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): boolean {
  const [n, h, wd, ci] = x.shape;
  const [kh, kw, , co] = w.shape;
  const out = [n, (h + 2 * g.pad - kh) / g.stride + 1, (wd + 2 * g.pad - kw) / g.stride + 1, co];
  const cached = filterCacheActive();
  return winogradSuits(x.shape, w.shape, out, g.stride, cached) && winogradSuits(out, [kh, kw, co, ci], x.shape, g.stride, cached);
}

const forward = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry, leak: number): tf.Tensor4D =>
  winogradConv2d(x, winogradOf(w, false), b, [g.pad, g.pad, g.pad, g.pad], w.shape[3], { leak, input: true });

const inputGrad = (dy: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, leak: number): tf.Tensor4D =>
  winogradConv2d(dy, winogradOf(w, true), null, inputGradPads(w.shape, x.shape, dy.shape, g), w.shape[2], { leak, gate: x });

function trainableOp(g: ConvGeometry, leak: number): Op3 {
  const key = `${g.stride}/${g.pad}/${leak}`;
  let op = trainableOps.get(key);
  if (!op) {
    op = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x, w]);
      return {
        value: forward(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, g, leak),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
          const d = dy as tf.Tensor4D;
          return [inputGrad(d, sx, sw, g, leak), winogradFilterGrad(sx, d, g.pad, leak), biasGrad(d)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op3;
    trainableOps.set(key, op);
  }
  return op;
}

function frozenOp(w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry, leak: number): (x: tf.Tensor4D) => tf.Tensor4D {
  return tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: forward(x as tf.Tensor4D, w, b, g, leak),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [inputGrad(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, w, g, leak)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;
}

/** conv2d(lrelu(x), w) + b (lrelu's slope below 0: `leak`); `frozen` as in conv2d. */
export function conv2dAfterLeaky(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry, leak: number, frozen = false): tf.Tensor4D {
  if (!useComposedGradients() || !fusable(x, w, g)) return conv2d(leakyRelu(x, leak), w, b, g, frozen);
  return frozen ? frozenOp(w, b, g, leak)(x) : trainableOp(g, leak)(x, w, b);
}
