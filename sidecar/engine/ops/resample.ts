/**
 * 2x2 average pooling, 2x nearest upsampling and the spatial mean, with gradients built
 * from each other (see policy.ts). On WASM, AvgPoolGrad and ResizeNearestNeighborGrad
 * are slow generic kernels next to AvgPool, a broadcasting Multiply upsamples faster than
 * ResizeNearestNeighbor, and a whole-image AvgPool averages over H,W faster than Mean
 * (docs/performance.md, Kernels).
 *   up2(x)         = x[b, i/2, j/2, c]                  (a broadcast over a size-2 axis pair)
 *   d avgpool2(x)  = 0.25 · up2(dy)                     (exact for 2x2 windows, stride 2, even sizes)
 *   d up2(x)       = 4 · avgpool2(dy)                   (the sum of each 2x2 block; x4 is exact)
 *   d mean_hw(x)   = dy broadcast over H,W, / (H·W)
 */
import * as tf from '../core/tf.ts';
import { useComposedGradients } from './policy.ts';

/** Nearest 2x upsampling scaled by `k`, as one broadcasting Multiply. */
function up2Scaled(x: tf.Tensor4D, k: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return x
    .reshape([b, h, 1, w, 1, c])
    .mul(tf.fill([1, 1, 2, 1, 2, 1], k))
    .reshape([b, 2 * h, 2 * w, c]);
}

const composedAvgPool2 = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([]);
  return { value: tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'), gradFunc: (dy: tf.Tensor) => up2Scaled(dy as tf.Tensor4D, 0.25) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;

const composedUpsample2 = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([]);
  return { value: up2Scaled(x as tf.Tensor4D, 1), gradFunc: (dy: tf.Tensor) => tf.avgPool(dy as tf.Tensor4D, 2, 2, 'valid').mul(4) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;

/** 2x2 average pooling, stride 2. Odd sizes fall back to TF.js's op (its gradient covers them). */
export function avgPool2(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  return useComposedGradients() && h % 2 === 0 && w % 2 === 0 ? composedAvgPool2(x) : tf.avgPool(x, 2, 2, 'valid');
}

/** Nearest-neighbour 2x upsampling. */
export function upsample2(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  return useComposedGradients() ? composedUpsample2(x) : tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w]);
}

/** Mean over H and W, [B,H,W,C] -> [B,C], as one whole-image AvgPool (no gradient). */
export function spatialMeanValue(x: tf.Tensor4D): tf.Tensor2D {
  const [b, h, w, c] = x.shape;
  return tf.avgPool(x, [h, w], 1, 'valid').reshape([b, c]);
}

const composedSpatialMean = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([]);
  const [, h, w] = x.shape as [number, number, number, number];
  return {
    value: spatialMeanValue(x as tf.Tensor4D),
    gradFunc: (dy: tf.Tensor) => dy.reshape([dy.shape[0]!, 1, 1, dy.shape[1]!]).mul(tf.fill([1, h, w, 1], 1 / (h * w))),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor2D;

/** Mean over H and W: [B,H,W,C] -> [B,C]. */
export function spatialMean(x: tf.Tensor4D): tf.Tensor2D {
  return useComposedGradients() ? composedSpatialMean(x) : (x.mean([1, 2]) as tf.Tensor2D);
}
