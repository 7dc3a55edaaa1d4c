/**
 * 2-D convolution (NHWC, HWIO filters, square stride, symmetric zero padding) whose
 * gradients are built from *forward* convolutions only.
 *
 * Why: the WASM backend has a fast forward Conv2D (XNNPACK) but no Conv2DBackpropFilter
 * kernel at all and a slow Conv2DBackpropInput. Both gradients are convolutions too:
 *   dx = conv(dilate(dy, s), flip(w) with in/out channels swapped)   (full correlation)
 *   dw = conv(xpad^T, dy^T, dilation = s)                           (batch as channels)
 * so the same fast kernel serves the backward pass. On WASM, 3x3 stride-1 convolutions
 * (forward, input gradient and filter gradient) go through Winograd F(4x4,3x3) instead
 * where it pays (winograd.ts).
 * Backends with good native gradient kernels (tfjs-node, WebGPU) use tf.conv2d's own
 * gradient instead (policy.ts).
 */
import * as tf from '../tf.ts';
import { useComposedGradients } from './policy.ts';
import { spatialMeanValue } from './resample.ts';
import { winogradConv2d, winogradFilter, winogradFilterGrad, winogradShape, winogradSuits } from './winograd.ts';

export interface ConvGeometry {
  stride: number;
  pad: number;
}

/** Zero-pads (positive amounts) or crops (negative amounts) the two spatial axes of NHWC. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const cropped =
    top < 0 || bottom < 0 || left < 0 || right < 0
      ? x.slice(
          [0, Math.max(0, -top), Math.max(0, -left), 0],
          [-1, h - Math.max(0, -top) - Math.max(0, -bottom), w - Math.max(0, -left) - Math.max(0, -right), -1],
        )
      : x;
  const pt = Math.max(0, top),
    pb = Math.max(0, bottom),
    pl = Math.max(0, left),
    pr = Math.max(0, right);
  return pt || pb || pl || pr
    ? cropped.pad([
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ])
    : cropped;
}

/** Inserts s-1 zeros between neighbouring pixels: [B,H,W,C] -> [B,(H-1)s+1,(W-1)s+1,C]. */
export function dilateSpatial(x: tf.Tensor4D, s: number): tf.Tensor4D {
  if (s === 1) return x;
  const [b, h, w, c] = x.shape;
  const rows = x
    .reshape([b, h, 1, w * c])
    .pad([
      [0, 0],
      [0, 0],
      [0, s - 1],
      [0, 0],
    ])
    .reshape([b * h * s, w, 1, c]);
  const both = rows
    .pad([
      [0, 0],
      [0, 0],
      [0, s - 1],
      [0, 0],
    ])
    .reshape([b, h * s, w * s, c]);
  return both.slice([0, 0, 0, 0], [b, (h - 1) * s + 1, (w - 1) * s + 1, c]) as tf.Tensor4D;
}

/**
 * Tensors derived from filters (flipped filters, Winograd transforms), kept while the
 * same filters serve many passes: the K steps of an SGLD chain, the steps of a
 * restoration. Keyed by kind and filter tensor id (ids are never reused). Only one scope
 * is active at a time; scopes run synchronously.
 */
type Derived = tf.Tensor | tf.Tensor[];
let activeCache: Map<string, Derived> | undefined;

/** A cache for a stretch of passes whose filters do not change; see FilterCache.run. */
export class FilterCache {
  private readonly derived = new Map<string, Derived>();

  /** Runs `f` (synchronously) with this cache serving every convolution in it. */
  run<T>(f: () => T): T {
    const outer = activeCache;
    activeCache = this.derived;
    try {
      return f();
    } finally {
      activeCache = outer;
    }
  }

  dispose(): void {
    this.derived.forEach((t) => tf.dispose(t));
    this.derived.clear();
  }
}

/** Runs `f` with a fresh FilterCache, disposed at the end. */
export function withFilterCache<T>(f: () => T): T {
  const cache = new FilterCache();
  try {
    return cache.run(f);
  } finally {
    cache.dispose();
  }
}

function derived<T extends Derived>(kind: string, w: tf.Tensor, make: () => T): T {
  if (!activeCache) return make();
  const key = `${kind}:${w.id}`;
  let t = activeCache.get(key) as T | undefined;
  if (!t) {
    t = make();
    for (const k of Array.isArray(t) ? t : [t]) tf.keep(k);
    activeCache.set(key, t);
  }
  return t;
}

/**
 * A tensor derived from weights (a spectrally normalised or rearranged filter) for a
 * frozen pass, made once per FilterCache scope and kept there. Frozen ops hold their
 * weights in a closure rather than in the saved tensors, so a weight computed inside the
 * pass would be disposed before the backward pass reads it. Undefined outside a scope:
 * the caller then runs the trainable op, which saves its weights.
 */
export function cachedDerived<T extends tf.Tensor>(kind: string, w: tf.Tensor, make: () => T): T | undefined {
  return activeCache ? derived(kind, w, () => tf.tidy(make)) : undefined;
}

const flipped = (w: tf.Tensor4D): tf.Tensor4D => derived('flip', w, () => w.reverse([0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D);
/** U of w (or of its flipped filter, for input gradients), cached in the active FilterCache scope. */
export const winogradOf = (w: tf.Tensor4D, flip: boolean): tf.Tensor2D[] => derived(flip ? 'winograd-flipped' : 'winograd', w, () => winogradFilter(w, flip));

/** Whether a FilterCache scope is active (Winograd's thresholds are lower when U is reused). */
export const filterCacheActive = (): boolean => activeCache !== undefined;

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
  if (winogradSuits(dy.shape, [kh, kw, co, ci], inShape, g.stride, filterCacheActive())) return winogradConv2d(dy, winogradOf(w, true), null, pads, ci);
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
function biasGrad(dy: tf.Tensor4D): tf.Tensor1D {
  const [, h, w] = dy.shape;
  return spatialMeanValue(dy)
    .sum(0)
    .mul(h * w);
}

type Op3 = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D;
type Op1 = (x: tf.Tensor4D) => tf.Tensor4D;

/** Output shape [B, Ho, Wo, Co] of conv2d(x, w) with geometry g. */
export function convOutShape(x: readonly number[], w: readonly number[], g: ConvGeometry): number[] {
  const [n, h, wd] = x as [number, number, number];
  const [kh, kw, , co] = w as [number, number, number, number];
  return [n, (h + 2 * g.pad - kh) / g.stride + 1, (wd + 2 * g.pad - kw) / g.stride + 1, co];
}

/**
 * conv + bias in one kernel: Winograd where it suits (WASM, 3x3, stride 1), else the
 * backends' FusedConv2D (XNNPACK adds the bias in place).
 */
function convBias(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry): tf.Tensor4D {
  if (winogradSuits(x.shape, w.shape, convOutShape(x.shape, w.shape, g), g.stride, filterCacheActive()))
    return winogradConv2d(x, winogradOf(w, false), b, [g.pad, g.pad, g.pad, g.pad], w.shape[3]);
  return tf.fused.conv2d({ x, filter: w, bias: b, strides: g.stride, pad: g.pad });
}

/** A convolution op's forward pass and its gradients, for the custom-gradient ops below. */
export interface ConvPasses {
  value(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D): tf.Tensor4D;
  /** dL/dx from dL/dy, the op's input x and its filter w. */
  inputGrad(dy: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D;
  /** dL/dw from the op's input x and dL/dy. */
  filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D;
}

const trainableOps = new Map<string, Op3>();

/** The op (x, w, b) -> value with gradients [dx, dw, db], made once per `key` from `passes`. */
export function trainableConvOp(key: string, passes: () => ConvPasses): Op3 {
  let op = trainableOps.get(key);
  if (!op) {
    const p = passes();
    op = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x, w]);
      return {
        value: p.value(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
          const d = dy as tf.Tensor4D;
          return [p.inputGrad(d, sx, sw), p.filterGrad(sx, d, sw), biasGrad(d)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op3;
    trainableOps.set(key, op);
  }
  return op;
}

/** The op x -> value(x, w, b) with filter and bias as constants: only dx is computed (SGLD needs no dw). */
export function frozenConvOp(p: ConvPasses, w: tf.Tensor4D, b: tf.Tensor1D): Op1 {
  return tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return {
      value: p.value(x as tf.Tensor4D, w, b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [p.inputGrad(dy as tf.Tensor4D, saved[0] as tf.Tensor4D, w)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Op1;
}

/** The passes of conv2d + bias with gradients from forward convolutions (this module's header). */
const composedPasses = (g: ConvGeometry): ConvPasses => ({
  value: (x, w, b) => convBias(x, w, b, g),
  inputGrad: (dy, x, w) => convInputGrad(dy, w, x.shape, g),
  filterGrad: (x, dy, w) => convFilterGrad(x, dy, w.shape, g),
});

/**
 * conv2d(x, w) + bias. `frozen` promises that no gradient with respect to w and b is
 * needed (e.g. the energy model inside SGLD), which halves the backward work.
 */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, g: ConvGeometry, frozen = false): tf.Tensor4D {
  if (!useComposedGradients()) return convBias(x, w, b, g);
  return frozen ? frozenConvOp(composedPasses(g), w, b)(x) : trainableConvOp(`${g.stride}/${g.pad}`, () => composedPasses(g))(x, w, b);
}
