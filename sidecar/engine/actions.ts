/**
 * File-to-file actions shared by the CLI and the sidecar server: sample a checkpoint into
 * a picture (restoring an image file: restore/restoreFile.ts). Inputs are paths and plain
 * options; errors are typed (ActionError for bad requests) with messages written for users.
 */
import { throwIfCancelled } from './cancel.ts';
import { outputFormat } from './data/images.ts';
import { writeSamples } from './pictures.ts';
import { drawSamples } from './sample.ts';
import { loadTrained } from './trainedModel.ts';
import { UserError } from './errors.ts';

/** A request that cannot be served as asked (as opposed to an internal failure). */
export class ActionError extends UserError {
  constructor(message: string) {
    super('request', message);
  }
}

export interface SampleRequest {
  checkpoint: string;
  out: string;
  n?: number;
  seed?: number;
  mcmcSteps?: number;
}

export interface SampleOutcome {
  out: string;
  n: number;
  seed: number;
  mcmcSteps: number;
  checkpoint: string;
  iteration: number;
  secondsPerImage: { oneStep: number; mcmc?: number };
}

/**
 * Sampling is one decoder pass plus optional short MCMC: seconds at most, so `signal` is
 * checked before and after drawing (a cancelled request writes no file).
 */
/** Refuses an output name whose extension is not an image format we write (the format follows the extension). */
export function requireImageOutput(file: string): void {
  if (!outputFormat(file)) throw new ActionError(`Output file ${file} must end in .png, .jpg or .jpeg (the format follows the extension).`);
}

export function sampleToFile(r: SampleRequest, signal?: AbortSignal): SampleOutcome {
  const n = r.n ?? 64,
    seed = r.seed ?? 0,
    steps = r.mcmcSteps ?? 0;
  requireImageOutput(r.out);
  throwIfCancelled(signal, 'Sampling');
  const m = loadTrained(r.checkpoint);
  try {
    const { x, seconds } = drawSamples(m, n, steps, seed);
    try {
      throwIfCancelled(signal, 'Sampling');
      writeSamples(r.out, m.model.dataShape, x);
    } finally {
      x.dispose();
    }
    return {
      out: r.out,
      n,
      seed,
      mcmcSteps: steps,
      checkpoint: m.file,
      iteration: m.iteration,
      secondsPerImage: { oneStep: seconds.oneStep / n, ...(seconds.mcmc !== undefined ? { mcmc: seconds.mcmc / n } : {}) },
    };
  } finally {
    m.dispose();
  }
}
