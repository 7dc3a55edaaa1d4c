/** Image-quality metrics on [-1, 1] NHWC batches: PSNR (on [0, 1]) and SSIM (ssim.js, Wang et al.). */
import { ssim } from 'ssim.js';
import * as tf from '../core/tf.ts';

/** Mean over the batch of 10·log10(1 / MSE) with pixels mapped to [0, 1]. */
export function psnr(a: tf.Tensor4D, b: tf.Tensor4D): number {
  const per = tf.tidy(() => tf.squaredDifference(a, b).div(4).mean([1, 2, 3]).dataSync());
  let sum = 0;
  for (const mse of per) sum += 10 * Math.log10(1 / Math.max(mse, 1e-10));
  return sum / per.length;
}

function toImageData(px: Float32Array, h: number, w: number, c: number): { data: Uint8ClampedArray; width: number; height: number } {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    for (let k = 0; k < 3; k++) data[4 * i + k] = Math.round(((px[i * c + (c === 1 ? 0 : k)]! + 1) / 2) * 255);
    data[4 * i + 3] = 255;
  }
  return { data, width: w, height: h };
}

/** Mean SSIM over the batch ('original' algorithm: 11x11 Gaussian window, as ssim.m). */
export function meanSsim(a: tf.Tensor4D, b: tf.Tensor4D): number {
  const [n, h, w, c] = a.shape;
  const pa = a.dataSync() as Float32Array;
  const pb = b.dataSync() as Float32Array;
  const per = h * w * c;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const ia = toImageData(pa.subarray(i * per, (i + 1) * per), h, w, c);
    const ib = toImageData(pb.subarray(i * per, (i + 1) * per), h, w, c);
    sum += ssim(ia, ib, { ssim: 'original' }).mssim;
  }
  return sum / n;
}
