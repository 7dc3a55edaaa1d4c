/**
 * The learning-rate schedule (training.lrDecay): constant, then a half cosine from the
 * configured rate to 0 over the final fraction `decay` of the run. Annealing lets the
 * decoder settle on the calibrated targets instead of jittering around them at the full
 * Adam step, which is what one-step samples see (docs/calibration.md). Pure; a function
 * of the iteration alone, so a resumed run continues the same schedule.
 */
export function learningRateFactor(iteration: number, iterations: number, decay: number): number {
  if (decay <= 0) return 1;
  const start = (1 - decay) * iterations;
  if (iteration <= start) return 1;
  const u = Math.min(1, (iteration - start) / (decay * iterations));
  return 0.5 * (1 + Math.cos(Math.PI * u));
}
