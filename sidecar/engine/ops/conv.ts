/**
 * 2-D convolution (NHWC, HWIO filters, square stride, symmetric zero padding) whose
 * gradients are built from *forward* convolutions only.
 *
 * Why: the WASM backend has a fast forward Conv2D (XNNPACK) but no Conv2DBackpropFilter
 * kernel at all and a slow Conv2DBackpropInput. Both gradients are convolutions too:
 *   dx = conv(dilate(dy, s), flip(w) with in/out channels swapped)   (full correlation)
 *   dw = conv(xpad^T, dy^T, dilation = s)                           (batch as channels)
 * so the same fast kernel serves the backward pass. Where they pay, on WASM: 3x3
 * stride-1 convolutions (forward, input gradient and filter gradient) go through
 * Winograd F(4x4,3x3) (winograd.ts), those with an RGB side through our GEMM
 * (convNarrow.ts); a strided input gradient whose kernel size is a multiple of the
 * stride is s² stride-1 convolutions without the dilation's zeros (subPixel.ts).
 * Backends with good native gradient kernels (tfjs-node, WebGPU) use tf.conv2d's own
 * gradient instead (policy.ts).
 *
 * The op (conv2d), its kernel (EcvaeConv2D: convBias, registered on WASM and CPU) and its
 * gradient (one lazy thunk per input: x, filter, bias) are the sections at the end; the
 * tape runs only the thunks of inputs on the path to what is differentiated, so SGLD
 * (the gradient with respect to x) computes no filter gradients, and a training pass
 * none with respect to its data.
 */
import * as tf from '../core/tf.ts';
import { registerComposedKernel, registerGradientOnce, useComposedGradients } from './policy.ts';
import { spatialMeanValue } from './resample.ts';
import { narrowConv2d, narrowConvInputGrad, narrowSuits } from './convNarrow.ts';
import { dilateSpatial, padOrCrop } from './spatialPad.ts';
import { subPixelInputGrad, subPixelSuits } from './subPixel.ts';
import { derived, filterCacheActive } from './filterCache.ts';
import { winogradConv2d, winogradFilter, winogradFilterGrad, winogradShape, winogradSuits } from './winograd.ts';

export interface ConvGeometry {
  stride: number;
  pad: number;
}

const flipped = (w: tf.Tensor4D): tf.Tensor4D => derived('flip', w, () => w.reverse([0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D);
/** U of w (or of its flipped filter, for input gradients), cached in the active FilterCache scope. */
export const winogradOf = (w: tf.Tensor4D, flip: boolean): tf.Tensor2D[] => derived(flip ? 'winograd-flipped' : 'winograd', w, () => winogradFilter(w, flip));

/**
 * Zero padding [top, bottom, left, right] of the stride-1 convolution of dy (dilated by
 * the stride) with the flipped filter that gives the input gradient of a conv2d.
 */
export function inputGradPads(w: readonly number[], inShape: readonly number[], dyShape: readonly number[], g: ConvGeometry): [number, number, number, number] {
  const [kh, kw] = w as [number, number];
  const [, h, wd] = inShape as [number, number, number];
  const [, ho, wo] = dyShape as [number, number, number];
  // Rows of the padded input past the last window get no gradient; pad for them too.
  const extraH = h + 2 * g.pad - ((ho - 1) * g.stride + kh);
  const extraW = wd + 2 * g.pad - ((wo - 1) * g.stride + kw);
  return [kh - 1 - g.pad, kh - 1 - g.pad + extraH, kw - 1 - g.pad, kw - 1 - g.pad + extraW];
}

/** Gradient of conv2d with respect to its input, through a stride-1 forward convolution. */
export function convInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, inShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const pads = inputGradPads(w.shape, inShape, dy.shape, g);
  if (narrowSuits(w.shape, g.stride, g.pad, 'inputGrad')) return narrowConvInputGrad(dy, w);
  // A narrow dy (the gradient of an RGB output) makes a narrow-input convolution by the
  // flipped filter: the narrow forward kernel, which wins from 1 -> 8 channels on (narrowSuits),
  // and beats XNNPACK on the reference VAE's 32 -> 3 output layer.
  if (g.stride === 1 && narrowSuits([kh, kw, co, ci], 1, kh - 1 - g.pad, 'forward')) return narrowConv2d(dy, flipped(w), null);
  if (winogradSuits(dy.shape, [kh, kw, co, ci], inShape, g.stride, filterCacheActive())) return winogradConv2d(dy, winogradOf(w, true), null, pads, ci);
  if (subPixelSuits(w.shape, inShape, g.stride)) return subPixelInputGrad(dy, w, inShape, g.stride, g.pad);
  const dyd = dilateSpatial(dy, g.stride);
  const [top, bottom, left, right] = pads;
  const wFlip = flipped(w);
  // Zero padding inside the convolution (no padded copy of dy) where no side needs a crop.
  if (Math.min(top, bottom, left, right) >= 0)
    return tf.conv2d(dyd, wFlip, 1, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
  return tf.conv2d(padOrCrop(dyd, top, bottom, left, right), wFlip, 1, 'valid');
}

/** Gradient of conv2d with respect to its filter: Winograd where it suits, else directFilterGrad. */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D {
  if (winogradShape(filterShape, g.stride)) return winogradFilterGrad(x, dy, g.pad);
  return directFilterGrad(x, dy, filterShape, g);
}

/** Gradient of conv2d with respect to its filter, through a dilated forward convolution. */
export function directFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D {
  const [kh, kw] = filterShape;
  const xp = g.pad
    ? x.pad([
        [0, 0],
        [g.pad, g.pad],
        [g.pad, g.pad],
        [0, 0],
      ])
    : x;
  const xt = xp.transpose([3, 1, 2, 0]) as tf.Tensor4D; // [Ci, Hp, Wp, B]: batch becomes the channel
  const dyt = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, B, Co]: a filter
  const full = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', g.stride); // [Ci, >=KH, >=KW, Co]
  const [, fh, fw] = full.shape;
  const out = fh === kh && fw === kw ? full : full.slice([0, 0, 0, 0], [-1, kh, kw, -1]);
  return out.transpose([1, 2, 0, 3]) as tf.Tensor4D;
}

/** Gradient of the bias: dy summed over batch and space (see spatialMean for why so). */
export function biasGrad(dy: tf.Tensor4D): tf.Tensor1D {
  const [, h, w] = dy.shape;
  return spatialMeanValue(dy)
    .sum(0)
    .mul(h * w);
}

/** Output shape [B, Ho, Wo, Co] of conv2d(x, w) with geometry g. */
export function convOutShape(x: readonly number[], w: readonly number[], g: ConvGeometry): number[] {
  const [n, h, wd] = x as [number, number, number];
  const [kh, kw, , co] = w as [number, number, number, number];
  return [n, (h + 2 * g.pad - kh) / g.stride + 1, (wd + 2 * g.pad - kw) / g.stride + 1, co];
}

/**
 * conv + bias in one kernel: on WASM our narrow-input kernel (RGB inputs, convNarrow.ts)
 * or Winograd where they suit (3x3, stride 1), else the backends' FusedConv2D (XNNPACK
 * adds the bias in place).
 */
export function convBias(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry): tf.Tensor4D {
  if (narrowSuits(w.shape, g.stride, g.pad, 'forward')) return narrowConv2d(x, w, b);
  if (winogradSuits(x.shape, w.shape, convOutShape(x.shape, w.shape, g), g.stride, filterCacheActive()))
    return winogradConv2d(x, winogradOf(w, false), b, [g.pad, g.pad, g.pad, g.pad], w.shape[3]);
  return tf.fused.conv2d({ x, filter: w, bias: b, strides: g.stride, pad: g.pad });
}

// Kernel: conv + bias, the fastest path for the shape (convBias).
const CONV = 'EcvaeConv2D';
const geometry = (a: tf.NamedAttrMap): ConvGeometry => ({ stride: a.stride as number, pad: a.pad as number });
registerComposedKernel(CONV, ({ x, filter, bias }, a) => convBias(x as tf.Tensor4D, filter as tf.Tensor4D, bias as tf.Tensor1D, geometry(a)));

// Gradient: one thunk per input, each run only when the tape needs it.
/** The gradient passes of conv2d + bias (an object, so that tests can count their calls). */
export const convGradients = {
  input: (dy: tf.Tensor4D, w: tf.Tensor4D, inShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D => convInputGrad(dy, w, inShape, g),
  filter: (x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D =>
    convFilterGrad(x, dy, filterShape, g),
  bias: (dy: tf.Tensor4D): tf.Tensor1D => biasGrad(dy),
};
registerGradientOnce({
  kernelName: CONV,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, [x, w], attrs) => {
    const [d, sx, sw, g] = [dy as tf.Tensor4D, x as tf.Tensor4D, w as tf.Tensor4D, geometry(attrs)];
    return {
      x: () => convGradients.input(d, sw, sx.shape, g),
      filter: () => convGradients.filter(sx, d, sw.shape, g),
      bias: () => convGradients.bias(d),
    };
  },
});

// Op.
/** conv2d(x, w) + bias. */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry): tf.Tensor4D {
  if (!useComposedGradients()) return convBias(x, w, b, g);
  return tf.engine().runKernel(CONV, { x, filter: w, bias: b }, { stride: g.stride, pad: g.pad }) as tf.Tensor4D;
}
