/**
 * The restore use case, for the CLI (`ecvae restore`), the sidecar (`restore`) and the
 * restoration panel: read the image (and a reference), restore it with posterior
 * samples, write the output in the format its name asks for, and optionally return
 * previews (PNG data: URLs of the observation A+y, each sample and each baseline) and
 * stream the current estimates.
 */
import { selectBackend } from '../engine/core/backend.ts';
import * as tf from '../engine/core/tf.ts';
import { isGrayImage, readImage, toFloat } from '../engine/data/images.ts';
import { RESTORE_DEFAULTS, type RestoreOptions } from '../engine/restore/restore.ts';
import { requireImageModel, RestoreError, restoreTask } from '../engine/restore/restoreTask.ts';
import { imageGrid, writeImage, writePicture } from '../engine/store/pictures.ts';
import { loadTrained } from '../engine/store/trainedModel.ts';
import type { RestoreFrame, RestoreOutcome, RestoreParams } from '../protocol.ts';
import type { UseCase } from './context.ts';
import { imageDataUrls, stripDataUrl } from './previews.ts';
import { ActionError, requireImageOutput } from './requests.ts';
import { requireDistinctPaths } from '../engine/store/outputFolder.ts';

/** A restoration as the engine takes it: the protocol's params with the Langevin knobs gathered into `options`. */
export type RestoreFileRequest = Omit<RestoreParams, 'steps' | 'stepSize' | 'energyWeight' | 'seed' | 'progressToken' | 'progressEvery'> & {
  /** Strip: observed (through A+) | restored | reference (the CLI's --compare). */
  compare?: string;
  options?: Partial<RestoreOptions>;
};

export interface RestoreContext extends UseCase {
  /** Sees the current estimates every `every` steps. */
  onFrame?: { every: number; frame(f: RestoreFrame): void };
}

/** Selects the backend, gathers the Langevin knobs, and restores. */
export async function restore(p: RestoreParams & { compare?: string }, ctx: RestoreContext = {}): Promise<RestoreOutcome> {
  await selectBackend(ctx.backend ?? 'auto');
  const { steps, stepSize, energyWeight, seed, progressToken: _token, progressEvery: _every, ...rest } = p;
  const options = {
    ...(steps ? { steps } : {}),
    ...(stepSize ? { stepSize } : {}),
    ...(energyWeight !== undefined ? { energyWeight } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
  return restoreFile({ ...rest, options }, ctx.signal, ctx.onFrame);
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
