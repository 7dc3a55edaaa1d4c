/**
 * Bicubic upsampling by an integer factor (Keys kernel, a = -0.5, half-pixel centres,
 * edge-clamped), as two matrix products — the classic SR baseline. Pure TF.js ops.
 */
import * as tf from '../core/tf.ts';

function cubic(t: number, a = -0.5): number {
  const x = Math.abs(t);
  if (x <= 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
  if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
  return 0;
}

/** [out, in] interpolation matrix for one axis. */
export function bicubicMatrix(inSize: number, factor: number): Float32Array {
  const out = inSize * factor;
  const w = new Float32Array(out * inSize);
  for (let o = 0; o < out; o++) {
    const src = (o + 0.5) / factor - 0.5;
    const base = Math.floor(src);
    for (let k = -1; k <= 2; k++) {
      // Edge clamping folds taps outside the image onto the border pixel: weights add up there.
      const at = o * inSize + Math.min(Math.max(base + k, 0), inSize - 1);
      w[at] = w[at]! + cubic(src - (base + k));
    }
  }
  return w;
}

export function bicubicUpsample(y: tf.Tensor4D, factor: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = y.shape;
    const wh = tf.tensor2d(bicubicMatrix(h, factor), [h * factor, h]);
    const ww = tf.tensor2d(bicubicMatrix(w, factor), [w * factor, w]);
    // rows: [H*F, H] x [H, W*C*B]
    const cols = y.transpose([1, 2, 3, 0]).reshape([h, w * c * b]);
    const r = tf.matMul(wh, cols).reshape([h * factor, w, c, b]);
    // columns: [W*F, W] x [W, H*F*C*B]
    const r2 = tf.matMul(ww, r.transpose([1, 0, 2, 3]).reshape([w, h * factor * c * b])).reshape([w * factor, h * factor, c, b]);
    return r2.transpose([3, 1, 0, 2]).clipByValue(-1, 1) as tf.Tensor4D;
  });
}
