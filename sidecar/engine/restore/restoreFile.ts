/**
 * Restoration of an image file, shared by the CLI, the sidecar and the restoration panel:
 * read the image (and a reference), restore it with posterior samples, write the output
 * in the format its name asks for, and optionally return previews (PNG data: URLs of the
 * observation A+y, each sample and each baseline) and stream the current estimates.
 */
import { ActionError, requireImageOutput } from '../jobs/actions.ts';
import { requireDistinctPaths } from '../store/outputFolder.ts';
import { isGrayImage, readImage, toFloat } from '../data/images.ts';
import { imageDataUrls, imageGrid, stripDataUrl, writeImage, writePicture } from '../store/pictures.ts';
import * as tf from '../core/tf.ts';
import { loadTrained } from '../store/trainedModel.ts';
import type { Task } from './degradations.ts';
import { RESTORE_DEFAULTS, type RestoreOptions } from './restore.ts';
import { requireImageModel, RestoreError, restoreTask, type RestoreReport } from './restoreTask.ts';

export interface RestoreFileRequest {
  checkpoint: string;
  image: string;
  task: Task;
  /** Where the (first) restoration goes; may be left out when previews are asked for. */
  out?: string;
  mask?: string;
  factor?: number;
  /** Denoising noise level in [0, 1] pixel units. */
  sigma?: number;
  reference?: string;
  fromClean?: boolean;
  /** Strip: observed (through A+) | restored | reference. */
  compare?: string;
  options?: Partial<RestoreOptions>;
  /** Posterior samples (restoreTask). */
  samples?: number;
  /** Return the pictures as data: URLs (the restoration panel). */
  previews?: boolean;
}

/** The pictures of a restoration, each a PNG data: URL. */
export interface RestorePreviews {
  /** A+ y: what the observation says, in image space. */
  observed: string;
  /** One per posterior sample. */
  samples: string[];
  baselines: Record<string, string>;
  reference?: string;
}

/** One frame of a running restoration: the current estimate of every sample, as a PNG strip. */
export interface RestoreFrame {
  step: number;
  steps: number;
  image: string;
}

export interface RestoreOutcome extends RestoreReport {
  out?: string;
  checkpoint: string;
  notes: string[];
  previews?: RestorePreviews;
}

/** Cancellable between Langevin steps through `signal` (CancelledError); a cancelled request writes no file. */
export async function restoreFile(
  r: RestoreFileRequest,
  signal?: AbortSignal,
  onFrame?: { every: number; frame(f: RestoreFrame): void },
): Promise<RestoreOutcome> {
  if (r.reference && r.fromClean)
    throw new ActionError('A reference image and "from clean" exclude each other (from clean makes the input its own reference).');
  if (!r.out && !r.previews) throw new ActionError('A restoration needs an output file (out) or previews.');
  if (r.out) requireImageOutput(r.out);
  if (r.compare) requireImageOutput(r.compare);
  requireDistinctPaths({ output: r.out, 'comparison strip': r.compare }, { checkpoint: r.checkpoint, image: r.image, mask: r.mask, reference: r.reference });
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
    const options = { ...RESTORE_DEFAULTS, ...r.options };
    const result = await restoreTask(
      m,
      {
        task: r.task,
        options,
        ...(fromClean ? { clean: input } : { observed: input }),
        ...(reference ? { reference } : {}),
        ...(r.mask ? { mask: r.mask } : {}),
        ...(r.factor ? { factor: r.factor } : {}),
        ...(r.sigma !== undefined ? { sigma: r.sigma } : {}),
        ...(r.samples ? { samples: r.samples } : {}),
        ...(onFrame ? { watch: { every: onFrame.every, onEstimate: (step, x) => onFrame.frame({ step, steps: options.steps, image: stripDataUrl(x) }) } } : {}),
      },
      signal,
    );
    try {
      const first = result.output.slice(0, 1);
      tensors.push(first);
      if (r.out) writeImage(r.out, first.dataSync() as Float32Array, size, size, channels);
      const truth = reference ?? (fromClean ? input : undefined);
      if (r.compare) {
        const shown = [result.baselines.pinv!, first, ...(truth ? [truth] : [])];
        const strip = tf.concat(shown);
        const pic = imageGrid(strip.dataSync() as Float32Array, shown.length, m.model.dataShape, shown.length);
        strip.dispose();
        writePicture(r.compare, pic);
      }
      const previews = r.previews
        ? {
            observed: imageDataUrls(result.baselines.pinv!)[0]!,
            samples: imageDataUrls(result.output),
            baselines: Object.fromEntries(Object.entries(result.baselines).map(([k, v]) => [k, imageDataUrls(v)[0]!])),
            ...(truth ? { reference: imageDataUrls(truth)[0]! } : {}),
          }
        : undefined;
      return { ...result.report, ...(r.out ? { out: r.out } : {}), checkpoint: m.file, notes, ...(previews ? { previews } : {}) };
    } finally {
      result.dispose();
    }
  } finally {
    tensors.forEach((t) => t.dispose());
    m.dispose();
  }
}
