/** Resizing images to the training size with TF.js ops, shared by image folders and binary datasets. */
import * as tf from '../core/tf.ts';

/**
 * Area-style downscaling to size x size: average-pool by the integer factor first (so
 * every source pixel counts), then bilinear with half-pixel centres. HWC or NHWC.
 */
export function areaResize<T extends tf.Tensor3D | tf.Tensor4D>(t: T, size: number): T {
  return tf.tidy(() => {
    const [h, w] = t.rank === 4 ? t.shape.slice(1, 3) : t.shape.slice(0, 2);
    const f = Math.floor(Math.min(h!, w!) / size);
    const pooled = f > 1 ? (tf.avgPool(t, f, f, 'valid') as T) : t;
    return tf.image.resizeBilinear(pooled, [size, size], false, true) as T;
  });
}
