/**
 * Dual ascent on the calibration constraint d <= epsilon (the paper's adaptive weight),
 * lambda <- clip(lambda + lr·violation, 0, max), where the violation is
 *  - absolute, d - epsilon: the paper's rule, with d = cal (calibration.distance "chain");
 *  - relative, d/epsilon - 1: with d the per-dimension drift distance ("drift"), so that
 *    one learning rate means the same on 2-D points and on images (docs/calibration.md).
 * Pure; numbers in, a number out.
 */
export interface DualOptions {
  learningRate: number;
  epsilon: number;
  max: number;
  relative?: boolean;
}

export function updateLambda(lambda: number, d: number, o: DualOptions): number {
  const violation = o.relative ? d / o.epsilon - 1 : d - o.epsilon;
  return Math.min(Math.max(lambda + o.learningRate * violation, 0), o.max);
}
