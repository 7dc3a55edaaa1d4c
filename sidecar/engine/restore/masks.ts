/** Inpainting masks (1 = known pixel): built-ins and PNG files (white = known). */
import { readImage, toFloat } from '../data/images.ts';
import { uniformStream } from '../rng.ts';
import * as tf from '../tf.ts';
import { UserError } from '../errors.ts';

export class MaskError extends UserError {
  constructor(message: string) {
    super('mask', message);
  }
}

/**
 * `spec`: "center" (the middle half-by-half box missing), "half" (bottom half missing),
 * "random:P" (each pixel missing with probability P), or a PNG path.
 */
export function loadMask(spec: string, size: number, seed = 0): { mask: tf.Tensor4D; describe: string } {
  const m = new Float32Array(size * size).fill(1);
  if (spec === 'center') {
    const a = Math.floor(size / 4),
      b = a + Math.floor(size / 2);
    for (let i = a; i < b; i++) for (let j = a; j < b; j++) m[i * size + j] = 0;
  } else if (spec === 'half') {
    m.fill(0, Math.floor(size / 2) * size);
  } else if (spec.startsWith('random:')) {
    const p = Number(spec.slice(7));
    if (!(p >= 0 && p < 1)) throw new MaskError(`random mask probability must be in [0, 1), got "${spec.slice(7)}" (e.g. random:0.5).`);
    const u = uniformStream(seed);
    for (let i = 0; i < m.length; i++) m[i] = u() < p ? 0 : 1;
  } else {
    const img = readImage(spec);
    if (img.width !== size || img.height !== size) {
      throw new MaskError(`Mask ${spec} is ${img.width}x${img.height}, but the model works at ${size}x${size}; give a mask of the model's size.`);
    }
    const gray = toFloat(img, 1);
    for (let i = 0; i < m.length; i++) m[i] = gray[i]! > 0 ? 1 : 0; // white (> mid-gray) = known
    return { mask: tf.tensor4d(m, [1, size, size, 1]), describe: `mask ${spec}` };
  }
  return { mask: tf.tensor4d(m, [1, size, size, 1]), describe: `${spec} mask` };
}
