/**
 * The degradations of zero-shot restoration, each one object: a linear operator
 * y = A x (+ noise), its pseudo-inverse A+, the baselines a user compares the model with,
 * and a description. Pure tensor functions on NHWC batches in [-1, 1]. The registry below
 * is keyed by the task table of sidecar/restorationTasks.ts (names, parameters, defaults,
 * docs) and must cover it: the compiler refuses a task with no behaviour.
 *
 * The range-null projection  P(x^) = A+ y + (I − A+ A) x^  satisfies A P(x^) = y exactly
 * (the range-null decomposition of DDNM, Wang et al., ICLR 2023).
 */
import * as tf from '../core/tf.ts';
import { RESTORATION_TASKS, type Task, type TaskParams } from '../../restorationTasks.ts';
import { UserError } from '../../runLayout/errors.ts';
import { bicubicUpsample } from './bicubic.ts';
import { loadMask } from './masks.ts';

export type { Task, TaskParams };

export class RestoreError extends UserError {
  constructor(message: string) {
    super('restore', message);
  }
}

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
  /** Restorations without the model (names as in the task table), so a user sees what the model adds. */
  baselines(y: tf.Tensor4D): Record<string, tf.Tensor4D>;
  /** Frees what the operator holds (a mask). */
  dispose(): void;
}

/** Inpainting: A = A+ = diag(mask), mask [1, H, W, 1] with 1 where pixels are known. */
export function inpainting(mask: tf.Tensor4D, describe = 'mask'): Degradation {
  const op: Degradation = {
    task: 'inpaint',
    apply: (x) => x.mul(mask),
    pinv: (y) => y.mul(mask),
    noise: 0,
    describe: `inpainting (${describe})`,
    baselines: (y) => ({
      pinv: tf.tidy(() => op.pinv(y)),
      // Each image's mean of its known pixels fills the rest; the mask broadcasts over batch and channels.
      meanFill: tf.tidy(() => {
        const known = y.mul(mask);
        const mean = known.sum([1, 2, 3], true).div(mask.sum().mul(y.shape[3]).maximum(1));
        return known.add(tf.scalar(1).sub(mask).mul(mean)) as tf.Tensor4D;
      }),
    }),
    dispose: () => mask.dispose(),
  };
  return op;
}

/** Colorization: A = per-pixel mean of RGB; A+ copies the gray value to the 3 channels. */
export function colorization(): Degradation {
  const op: Degradation = {
    task: 'colorize',
    apply: (x) => x.mean(3, true) as tf.Tensor4D,
    pinv: (y) => tf.tile(y, [1, 1, 1, 3]) as tf.Tensor4D,
    noise: 0,
    describe: 'colorization',
    baselines: (y) => ({ pinv: tf.tidy(() => op.pinv(y)) }),
    dispose: () => undefined,
  };
  return op;
}

/** Super-resolution by F: A = FxF average pooling; A+ = FxF replication (its Moore–Penrose inverse). */
export function superResolution(factor: number): Degradation {
  const op: Degradation = {
    task: 'sr',
    apply: (x) => tf.avgPool(x, factor, factor, 'valid') as tf.Tensor4D,
    pinv: (y) => tf.image.resizeNearestNeighbor(y, [y.shape[1] * factor, y.shape[2] * factor]),
    noise: 0,
    describe: `${factor}x super-resolution`,
    baselines: (y) => ({ pinv: tf.tidy(() => op.pinv(y)), bicubic: bicubicUpsample(y, factor) }),
    dispose: () => undefined,
  };
  return op;
}

/** Denoising: A = I with Gaussian noise; `sigma` is given in [0, 1] pixel units. */
export function denoising(sigma: number): Degradation {
  // Copies, not the input itself: callers own (and dispose) what an operator returns.
  const op: Degradation = {
    task: 'denoise',
    apply: (x) => x.clone(),
    pinv: (y) => y.clone(),
    noise: 2 * sigma,
    describe: `denoising (sigma ${sigma})`,
    baselines: (y) => ({ pinv: op.pinv(y) }),
    dispose: () => undefined,
  };
  return op;
}

/** What a registry entry knows about the model it degrades for. */
export interface ModelImage {
  size: number;
  channels: number;
  /** Seeds random masks. */
  seed: number;
}

interface DegradationKind {
  /** The operator for these parameters (the table's defaults fill gaps), or a RestoreError. */
  create(p: TaskParams, m: ModelImage): Degradation;
  /** The [h, w, c] an observation y must have. */
  observedShape(p: TaskParams, m: ModelImage): [number, number, number];
}

const srFactor = (p: TaskParams): number => p.factor ?? RESTORATION_TASKS.sr.defaults.factor;

export const DEGRADATIONS: Record<Task, DegradationKind> = {
  inpaint: {
    create: (p, m) => {
      if (!p.mask)
        throw new RestoreError('Inpainting needs a mask: a PNG of the model size (white = known, black = missing) or a built-in: center, half, random:P.');
      const { mask, describe } = loadMask(p.mask, m.size, m.seed);
      return inpainting(mask, describe);
    },
    observedShape: (_p, m) => [m.size, m.size, m.channels],
  },
  colorize: {
    create: (_p, m) => {
      if (m.channels !== 3) throw new RestoreError(`Colorization needs an RGB model; this checkpoint's images have ${m.channels} channel.`);
      return colorization();
    },
    observedShape: (_p, m) => [m.size, m.size, 1],
  },
  sr: {
    create: (p, m) => {
      const f = srFactor(p);
      if (![2, 4, 8].includes(f)) throw new RestoreError(`Super-resolution factor must be 2, 4 or 8 (got ${f}).`);
      if (m.size % f !== 0) throw new RestoreError(`The model size ${m.size} is not divisible by the factor ${f}.`);
      return superResolution(f);
    },
    observedShape: (p, m) => [m.size / srFactor(p), m.size / srFactor(p), m.channels],
  },
  denoise: {
    create: (p) => {
      const s = p.sigma ?? RESTORATION_TASKS.denoise.defaults.sigma;
      if (!(s > 0 && s <= 1)) throw new RestoreError(`Denoising sigma must be in (0, 1] (pixel units), got ${s}.`);
      return denoising(s);
    },
    observedShape: (_p, m) => [m.size, m.size, m.channels],
  },
};

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
