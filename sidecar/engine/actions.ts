/**
 * File-to-file actions shared by the CLI and the sidecar server: sample a checkpoint into
 * a PNG, restore an image file. Inputs are paths and plain options; errors are typed
 * (ActionError for bad requests) with messages written for users.
 */
import { throwIfCancelled } from './cancel.ts';
import { isGrayImage, outputFormat, readImage, toFloat } from './data/images.ts';
import { requireImageModel, RestoreError, restoreTask, type RestoreReport } from './restore/restoreTask.ts';
import type { Task } from './restore/degradations.ts';
import { RESTORE_DEFAULTS, type RestoreOptions } from './restore/restore.ts';
import { imageGrid, writeImage, writePicture, writeSamples } from './pictures.ts';
import { drawSamples } from './sample.ts';
import * as tf from './tf.ts';
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
function requireImageOutput(file: string): void {
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

export interface RestoreFileRequest {
  checkpoint: string;
  image: string;
  task: Task;
  out: string;
  mask?: string;
  factor?: number;
  /** Denoising noise level in [0, 1] pixel units. */
  sigma?: number;
  reference?: string;
  fromClean?: boolean;
  /** Strip: observed (through A+) | restored | reference. */
  compare?: string;
  options?: Partial<RestoreOptions>;
}

export interface RestoreOutcome extends RestoreReport {
  out: string;
  checkpoint: string;
  notes: string[];
}

/** Cancellable between Langevin steps through `signal` (CancelledError); a cancelled request writes no file. */
export async function restoreToFile(r: RestoreFileRequest, signal?: AbortSignal): Promise<RestoreOutcome> {
  if (r.reference && r.fromClean)
    throw new ActionError('A reference image and "from clean" exclude each other (from clean makes the input its own reference).');
  requireImageOutput(r.out);
  if (r.compare) requireImageOutput(r.compare);
  const m = loadTrained(r.checkpoint);
  const notes: string[] = [];
  const tensors: tf.Tensor[] = [];
  try {
    requireImageModel(m);
    const [size, , channels] = m.model.dataShape as [number, number, number];
    const load = (path: string, c: number): tf.Tensor4D => {
      const img = readImage(path);
      if (c === 1 && !isGrayImage(img)) notes.push(`${path}: colour image converted to gray for this 1-channel model`);
      const t = tf.tensor4d(toFloat(img, c as 1 | 3), [1, img.height, img.width, c]);
      tensors.push(t);
      return t;
    };
    const fromClean = Boolean(r.fromClean);
    const input = load(r.image, r.task === 'colorize' && !fromClean ? 1 : channels);
    if (fromClean && (input.shape[1] !== size || input.shape[2] !== size)) {
      throw new RestoreError(`"From clean" needs an image of the model size ${size}x${size}; ${r.image} is ${input.shape[2]}x${input.shape[1]}.`);
    }
    let reference: tf.Tensor4D | undefined;
    if (r.reference) {
      reference = load(r.reference, channels);
      if (reference.shape[1] !== size || reference.shape[2] !== size)
        throw new RestoreError(`The reference ${r.reference} is ${reference.shape[2]}x${reference.shape[1]}; it must be the model size ${size}x${size}.`);
    }
    const result = await restoreTask(
      m,
      {
        task: r.task,
        options: { ...RESTORE_DEFAULTS, ...r.options },
        ...(fromClean ? { clean: input } : { observed: input }),
        ...(reference ? { reference } : {}),
        ...(r.mask ? { mask: r.mask } : {}),
        ...(r.factor ? { factor: r.factor } : {}),
        ...(r.sigma !== undefined ? { sigma: r.sigma } : {}),
      },
      signal,
    );
    try {
      writeImage(r.out, result.output.dataSync() as Float32Array, size, size, channels);
      if (r.compare) {
        const truth = reference ?? (fromClean ? input : undefined);
        const shown = [result.baselines.pinv!, result.output, ...(truth ? [truth] : [])];
        const strip = tf.concat(shown);
        const pic = imageGrid(strip.dataSync() as Float32Array, shown.length, m.model.dataShape, shown.length);
        strip.dispose();
        writePicture(r.compare, pic);
      }
      return { ...result.report, out: r.out, checkpoint: m.file, notes };
    } finally {
      result.dispose();
    }
  } finally {
    tensors.forEach((t) => t.dispose());
    m.dispose();
  }
}
