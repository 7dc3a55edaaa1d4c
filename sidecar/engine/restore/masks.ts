/** Inpainting masks (1 = known pixel): built-ins and PNG files (white = known). */
import { readImage, toFloat } from '../data/images.ts';
import { presetMaskBits } from '../../restorationTasks.ts';
import * as tf from '../core/tf.ts';
import { UserError } from '../../runLayout/errors.ts';

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
  let m: Float32Array;
  if (spec === 'center' || spec === 'half') {
    m = Float32Array.from(presetMaskBits(spec, size, size));
  } else if (spec.startsWith('random:')) {
    const p = Number(spec.slice(7));
    if (!(p >= 0 && p < 1)) throw new MaskError(`random mask probability must be in [0, 1), got "${spec.slice(7)}" (e.g. random:0.5).`);
    m = Float32Array.from(presetMaskBits('random', size, size, { seed, p }));
  } else {
    const img = readImage(spec);
    if (img.width !== size || img.height !== size) {
      throw new MaskError(`Mask ${spec} is ${img.width}x${img.height}, but the model works at ${size}x${size}; give a mask of the model's size.`);
    }
    const gray = toFloat(img, 1);
    m = new Float32Array(size * size);
    for (let i = 0; i < m.length; i++) m[i] = gray[i]! > 0 ? 1 : 0; // white (> mid-gray) = known
    return { mask: tf.tensor4d(m, [1, size, size, 1]), describe: `mask ${spec}` };
  }
  return { mask: tf.tensor4d(m, [1, size, size, 1]), describe: `${spec} mask` };
}
