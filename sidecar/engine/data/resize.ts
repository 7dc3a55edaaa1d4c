/** Resizing images to the training size with TF.js ops, shared by image folders and binary datasets. */
import * as tf from '../core/tf.ts';

/** How images are resized (data.resize): our area filter, or the official pipeline's bilinear. */
export type ResizeMethod = 'area' | 'bilinear';

/** Resizes HWC or NHWC images to size x size with `method`. */
export function resizeImages<T extends tf.Tensor3D | tf.Tensor4D>(t: T, size: number, method: ResizeMethod = 'area'): T {
  return method === 'bilinear' ? pilBilinear(t, size) : areaResize(t, size);
}

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

/**
 * The weights [out, in] of PIL's bilinear resampling along one axis (Image.resize with
 * BILINEAR, libImaging/Resample.c precompute_coeffs): a triangle filter stretched by
 * the downscale factor (support = max(in/out, 1)), centred on (o + 0.5)·in/out, each row
 * normalised. Stretching is the antialiasing: torchvision's Resize on PIL images (what
 * the official datasets yield) always resamples this way, whatever its antialias flag,
 * which only concerns tensor inputs.
 */
export function pilBilinearWeights(inSize: number, outSize: number): Float32Array {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const k = new Float32Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const w = Math.max(0, 1 - Math.abs((i - centre + 0.5) / filterScale));
      k[o * inSize + i] = w;
      total += w;
    }
    if (total > 0) for (let i = lo; i < hi; i++) k[o * inSize + i]! /= total;
  }
  return k;
}

/**
 * PIL's bilinear resize to size x size, in float: the two axes' weights applied as matrix
 * products. PIL rounds to 8 bits after its horizontal pass; this does not, so values differ
 * from PIL's by at most about one grey level.
 */
function pilBilinear<T extends tf.Tensor3D | tf.Tensor4D>(t: T, size: number): T {
  return tf.tidy(() => {
    const batch = (t.rank === 3 ? t.expandDims(0) : t) as tf.Tensor4D;
    const [n, h, w, c] = batch.shape;
    const wy = tf.tensor2d(pilBilinearWeights(h, size), [size, h]);
    const wx = tf.tensor2d(pilBilinearWeights(w, size), [size, w]);
    // Rows: [n, h, w, c] -> [n·w·c, h] · wy^T -> [n, size, w, c].
    const rows = tf
      .matMul(batch.transpose([0, 2, 3, 1]).reshape([-1, h]), wy, false, true)
      .reshape([n, w, c, size])
      .transpose([0, 3, 1, 2]);
    // Columns: [n, size, w, c] -> [n·size·c, w] · wx^T -> [n, size, size, c].
    const out = tf
      .matMul(rows.transpose([0, 1, 3, 2]).reshape([-1, w]), wx, false, true)
      .reshape([n, size, c, size])
      .transpose([0, 1, 3, 2]);
    return (t.rank === 3 ? out.squeeze([0]) : out) as T;
  });
}
