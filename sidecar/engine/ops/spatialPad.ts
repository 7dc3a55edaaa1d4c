/** Spatial rearrangements of NHWC tensors for the composed convolution gradients (conv.ts, subPixel.ts). */
import * as tf from '../core/tf.ts';

/** Zero-pads (positive amounts) or crops (negative amounts) the two spatial axes of NHWC. */
export function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
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
