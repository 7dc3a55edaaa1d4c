/**
 * 2-D convolution (NHWC, HWIO filters, square stride, symmetric zero padding) whose
 * gradients are built from *forward* convolutions only.
 *
 * Why: the WASM backend has a fast forward Conv2D (XNNPACK) but no Conv2DBackpropFilter
 * kernel at all and a slow Conv2DBackpropInput. Both gradients are convolutions too:
 *   dx = conv(dilate(dy, s), flip(w) with in/out channels swapped)   (full correlation)
 *   dw = conv(xpad^T, dy^T, dilation = s)                           (batch as channels)
 * so the same fast kernel serves the backward pass. Backends with good native gradient
 * kernels (tfjs-node, WebGPU) use tf.conv2d's own gradient instead (policy.ts).
 */
import * as tf from '../tf.ts';
import { useComposedGradients } from './policy.ts';
import { spatialMeanValue } from './resample.ts';

export interface ConvGeometry {
  stride: number;
  pad: number;
}

/** Zero-pads (positive amounts) or crops (negative amounts) the two spatial axes of NHWC. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const cropped =
    top < 0 || bottom < 0 || left < 0 || right < 0
      ? x.slice([0, Math.max(0, -top), Math.max(0, -left), 0], [-1, h - Math.max(0, -top) - Math.max(0, -bottom), w - Math.max(0, -left) - Math.max(0, -right), -1])
      : x;
  const pt = Math.max(0, top), pb = Math.max(0, bottom), pl = Math.max(0, left), pr = Math.max(0, right);
  return pt || pb || pl || pr ? cropped.pad([[0, 0], [pt, pb], [pl, pr], [0, 0]]) : cropped;
}

/** Inserts s-1 zeros between neighbouring pixels: [B,H,W,C] -> [B,(H-1)s+1,(W-1)s+1,C]. */
export function dilateSpatial(x: tf.Tensor4D, s: number): tf.Tensor4D {
  if (s === 1) return x;
  const [b, h, w, c] = x.shape;
  const rows = x.reshape([b, h, 1, w * c]).pad([[0, 0], [0, 0], [0, s - 1], [0, 0]]).reshape([b * h * s, w, 1, c]);
  const both = rows.pad([[0, 0], [0, 0], [0, s - 1], [0, 0]]).reshape([b, h * s, w * s, c]);
  return both.slice([0, 0, 0, 0], [b, (h - 1) * s + 1, (w - 1) * s + 1, c]) as tf.Tensor4D;
}

/**
 * Filters flipped for the input gradient, kept while the same frozen filters serve many
 * backward passes (the steps of an SGLD chain); see withFlippedFilterCache.
 */
let flipCache: Map<number, tf.Tensor4D> | undefined;

/**
 * Runs `f` with flipped filters of frozen convolutions computed once and reused (an SGLD
 * chain runs K backward passes through the same filters), disposing them at the end.
 */
export function withFlippedFilterCache<T>(f: () => T): T {
  const outer = flipCache;
  flipCache = new Map();
  try {
    return f();
  } finally {
    flipCache.forEach((t) => t.dispose());
    flipCache = outer;
  }
}

function flipped(w: tf.Tensor4D, cache: Map<number, tf.Tensor4D> | undefined): tf.Tensor4D {
  const make = (): tf.Tensor4D => w.reverse([0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D;
  if (!cache) return make();
  let t = cache.get(w.id);
  if (!t) cache.set(w.id, (t = tf.keep(make())));
  return t;
}

/** Gradient of conv2d with respect to its input, through a stride-1 forward convolution. */
export function convInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, inShape: [number, number, number, number], g: ConvGeometry, cache?: Map<number, tf.Tensor4D>): tf.Tensor4D {
  const [kh, kw] = w.shape;
  const [, h, wd] = inShape;
  const [, ho, wo] = dy.shape;
  const dyd = dilateSpatial(dy, g.stride);
  // Rows of the padded input past the last window get no gradient; pad for them too.
  const extraH = h + 2 * g.pad - ((ho - 1) * g.stride + kh);
  const extraW = wd + 2 * g.pad - ((wo - 1) * g.stride + kw);
  const [top, bottom, left, right] = [kh - 1 - g.pad, kh - 1 - g.pad + extraH, kw - 1 - g.pad, kw - 1 - g.pad + extraW];
  const wFlip = flipped(w, cache);
  // Zero padding inside the convolution (no padded copy of dy) where no side needs a crop.
  if (Math.min(top, bottom, left, right) >= 0) return tf.conv2d(dyd, wFlip, 1, [[0, 0], [top, bottom], [left, right], [0, 0]]);
  return tf.conv2d(padOrCrop(dyd, top, bottom, left, right), wFlip, 1, 'valid');
}

/** Gradient of conv2d with respect to its filter, through a dilated forward convolution. */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], g: ConvGeometry): tf.Tensor4D {
  const [kh, kw] = filterShape;
  const xp = g.pad ? x.pad([[0, 0], [g.pad, g.pad], [g.pad, g.pad], [0, 0]]) : x;
  const xt = xp.transpose([3, 1, 2, 0]) as tf.Tensor4D; // [Ci, Hp, Wp, B]: batch becomes the channel
  const dyt = dy.transpose([1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, B, Co]: a filter
  const full = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', g.stride); // [Ci, >=KH, >=KW, Co]
  const [, fh, fw] = full.shape;
  const out = fh === kh && fw === kw ? full : full.slice([0, 0, 0, 0], [-1, kh, kw, -1]);
  return out.transpose([1, 2, 0, 3]) as tf.Tensor4D;
}

/** Gradient of the bias: dy summed over batch and space (see spatialMean for why so). */
function biasGrad(dy: tf.Tensor4D): tf.Tensor1D {
  const [, h, w] = dy.shape;
  return spatialMeanValue(dy).sum(0).mul(h * w);
}

type Op3 = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D;
type Op1 = (x: tf.Tensor4D) => tf.Tensor4D;
const trainableOps = new Map<string, Op3>();

/** conv + bias in one kernel (the backends' FusedConv2D: XNNPACK adds the bias in place). */
function convBias(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: w, bias: b, strides: g.stride, pad: g.pad });
}

function trainableOp(g: ConvGeometry): Op3 {
  const key = `${g.stride}/${g.pad}`;
  let op = trainableOps.get(key);
  if (!op) {
    op = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x, w]);
      return {
        value: convBias(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, g),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
          return [convInputGrad(dy as tf.Tensor4D, sw, sx.shape, g), convFilterGrad(sx, dy as tf.Tensor4D, sw.shape, g), biasGrad(dy as tf.Tensor4D)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op3;
    trainableOps.set(key, op);
  }
  return op;
}

/** Variant with filter and bias treated as constants: only dx is computed (SGLD needs no dw). */
function frozenOp(w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry): Op1 {
  return tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: convBias(x as tf.Tensor4D, w, b, g),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [convInputGrad(dy as tf.Tensor4D, w, (saved[0] as tf.Tensor4D).shape, g, flipCache)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op1;
}

/**
 * conv2d(x, w) + bias. `frozen` promises that no gradient with respect to w and b is
 * needed (e.g. the energy model inside SGLD), which halves the backward work.
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry, frozen = false): tf.Tensor4D {
  if (!useComposedGradients()) return convBias(x, w, b, g);
  return frozen ? frozenOp(w, b, g)(x) : trainableOp(g)(x, w, b);
}
