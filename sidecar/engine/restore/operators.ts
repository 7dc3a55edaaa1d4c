/**
 * Linear degradations y = A x (+ noise) with their pseudo-inverses A+ (SPEC §2), as pure
 * tensor functions on NHWC batches in [-1, 1], and the range-null projection
 *   P(x^) = A+ y + (I - A+ A) x^,   which satisfies A P(x^) = y exactly.
 */
import * as tf from '../tf.ts';

export type Task = 'inpaint' | 'colorize' | 'sr' | 'denoise';

export interface Degradation {
  task: Task;
  /** y = A x. */
  apply(x: tf.Tensor4D): tf.Tensor4D;
  /** A+ y (Moore–Penrose pseudo-inverse). */
  pinv(y: tf.Tensor4D): tf.Tensor4D;
  /** Standard deviation of the observation noise in [-1, 1] units (0: noiseless). */
  noise: number;
  /** Human-readable description for reports. */
  describe: string;
}

/** Inpainting: A = A+ = diag(mask), mask [1, H, W, 1] with 1 where pixels are known. */
export function inpainting(mask: tf.Tensor4D, describe = 'mask'): Degradation {
  return { task: 'inpaint', apply: (x) => x.mul(mask), pinv: (y) => y.mul(mask), noise: 0, describe: `inpainting (${describe})` };
}

/** Colorization: A = per-pixel mean of RGB; A+ copies the gray value to the 3 channels. */
export function colorization(): Degradation {
  return {
    task: 'colorize',
    apply: (x) => x.mean(3, true) as tf.Tensor4D,
    pinv: (y) => tf.tile(y, [1, 1, 1, 3]) as tf.Tensor4D,
    noise: 0,
    describe: 'colorization',
  };
}

/** Super-resolution by F: A = FxF average pooling; A+ = FxF replication (its Moore–Penrose inverse). */
export function superResolution(factor: number): Degradation {
  return {
    task: 'sr',
    apply: (x) => tf.avgPool(x, factor, factor, 'valid') as tf.Tensor4D,
    pinv: (y) => tf.image.resizeNearestNeighbor(y, [y.shape[1] * factor, y.shape[2] * factor]),
    noise: 0,
    describe: `${factor}x super-resolution`,
  };
}

/** Denoising: A = I with Gaussian noise; `sigma` is given in [0, 1] pixel units. */
export function denoising(sigma: number): Degradation {
  // Copies, not the input itself: callers own (and dispose) what an operator returns.
  return { task: 'denoise', apply: (x) => x.clone(), pinv: (y) => y.clone(), noise: 2 * sigma, describe: `denoising (sigma ${sigma})` };
}

/** Range-null projection P(x^) = A+ y + (I - A+ A) x^. */
export function rangeNullProject(op: Degradation, y: tf.Tensor4D, xhat: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => op.pinv(y).add(xhat.sub(op.pinv(op.apply(xhat)))) as tf.Tensor4D);
}

/** The observation of a clean batch: A x plus seeded Gaussian noise for noisy tasks. */
export function observe(op: Degradation, x: tf.Tensor4D, seed: number): tf.Tensor4D {
  return tf.tidy(() => {
    const y = op.apply(x);
    return op.noise > 0 ? (y.add(tf.randomNormal(y.shape, 0, op.noise, 'float32', seed)) as tf.Tensor4D) : y;
  });
}
