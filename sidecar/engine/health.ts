/**
 * Is calibration doing anything? Calibration pulls the decoder toward where short-run
 * Langevin chains on the energy move its samples. It does nothing when
 *  - the energy does not tell held-out data from the decoder's samples (gap = E(neg) -
 *    E(held-out data) near 0): the chains have nowhere to go; or
 *  - the chains are mostly injected noise: the energy's pull (drift) is small next to the
 *    Langevin noise, so the decoder is pulled toward random points.
 * Both were measured on the shipped toy before Fourier features (shared/oracle/README.md
 * §1–2: drift ~1e-4 per step against a mode spacing of 0.4 for the first 2,000–3,000
 * iterations). The monitor reads the logged metrics, so the CLI, the sidecar and a
 * replayed run folder all judge the same way. Pure: records in, a verdict out.
 */

/** The logged fields the verdict needs (a subset of run.ts MetricsRecord). */
export interface HealthInput {
  iteration: number;
  gap?: number;
  drift?: number;
  noise?: number;
}

export interface HealthVerdict {
  active: boolean;
  /** Why calibration is inactive and what to change; absent when active. */
  reason?: string;
}

export interface HealthOptions {
  /** Logged records averaged per verdict; no verdict before this many. */
  window: number;
  /** Below this mean gap the energy does not separate data from samples. */
  minGap: number;
  /** Below this mean drift/noise ratio the chains are mostly noise. */
  minDriftToNoise: number;
}

export const HEALTH_DEFAULTS: HealthOptions = { window: 8, minGap: 0.05, minDriftToNoise: 0.5 };

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/**
 * The verdict on the last `window` records (calibrating runs only; a plain VAE's records
 * have no gap and get no verdict). Averages over a window because single iterations are
 * noisy: one batch can show a negative gap in a healthy run.
 */
export function calibrationHealth(records: readonly HealthInput[], o: HealthOptions = HEALTH_DEFAULTS): HealthVerdict | undefined {
  const recent = records.filter((r) => r.gap !== undefined && r.drift !== undefined && r.noise !== undefined).slice(-o.window);
  if (recent.length < o.window) return undefined;
  const gap = mean(recent.map((r) => r.gap!));
  const drift = mean(recent.map((r) => r.drift!));
  const noise = mean(recent.map((r) => r.noise!));
  const span = `iterations ${recent[0]!.iteration}–${recent[recent.length - 1]!.iteration}`;
  if (gap < o.minGap) {
    return {
      active: false,
      reason: `calibration inactive (${span}): the energy does not separate held-out data from samples (mean gap E(neg) - E(data) = ${gap.toPrecision(2)} < ${o.minGap}), so the Langevin chains have nothing to pull toward. ` +
        'Give the energy model more to learn with: a higher training.ebmLearningRate, more iterations, or (mlp on low-dimensional data) model.energyFourier features.',
    };
  }
  if (noise > 0 && drift < o.minDriftToNoise * noise) {
    return {
      active: false,
      reason: `calibration inactive (${span}): the chains are mostly noise (mean drift ${drift.toPrecision(2)} vs injected noise ${noise.toPrecision(2)}), so the decoder is pulled toward random points. ` +
        'Lower calibration.sgldNoiseScale, or raise calibration.sgldStepSize or sgldSteps so that the energy\'s pull shows.',
    };
  }
  return { active: true };
}
