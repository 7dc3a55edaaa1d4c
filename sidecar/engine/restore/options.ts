/** The restoration's options and their defaults: plain data, free of TF.js (the CLI's help shows them). */
export interface RestoreOptions {
  steps: number;
  stepSize: number;
  /** Data-consistency std in [-1, 1] units for noiseless tasks (denoising uses its noise level instead). */
  dataSigma: number;
  /** Weight w of the energy term, per unit temperature: the term is w·tau·(E/tau) (restore.ts). */
  energyWeight: number;
  /** Initial Langevin noise multiplier, annealed to 0. */
  noiseScale: number;
  seed: number;
}

export const RESTORE_DEFAULTS: RestoreOptions = { steps: 50, stepSize: 0.0002, dataSigma: 0.1, energyWeight: 1, noiseScale: 1, seed: 0 };
