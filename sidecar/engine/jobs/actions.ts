/**
 * File-to-file actions shared by the CLI and the sidecar server: sample a checkpoint into
 * a picture (restoring an image file: restore/restoreFile.ts). Inputs are paths and plain
 * options; errors are typed (ActionError for bad requests) with messages written for users.
 */
import { cooperativePause, throwIfCancelled } from '../core/cancel.ts';
import { outputFormat } from '../data/images.ts';
import { imageDataUrls, pictureDataUrl, samplesPicture, writeSamples } from '../store/pictures.ts';
import { drawAsync, type Drawn } from '../algorithm/sample.ts';
import * as tf from '../core/tf.ts';
import { loadTrained } from '../store/trainedModel.ts';
import { UserError } from '../core/errors.ts';
import { requireDistinctPaths, requireOutputFile } from '../store/outputFolder.ts';

/** Latents are decoded as given: a non-finite value would decode to a silently blank or NaN picture. */
export function requireFiniteLatents(latents: number[][] | undefined): void {
  latents?.forEach((z, i) => {
    const j = z.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (j >= 0) throw new ActionError(`Latent ${i} has a non-finite value at position ${j} (${String(z[j])}); latents must be finite numbers.`);
  });
}

/** A request that cannot be served as asked (as opposed to an internal failure). */
export class ActionError extends UserError {
  constructor(message: string, path?: string) {
    super('request', message, path);
  }
}

export interface SampleRequest {
  checkpoint: string;
  /** Where the grid goes; may be left out when previews are asked for. */
  out?: string;
  n?: number;
  seed?: number;
  mcmcSteps?: number;
  /** Return the samples as PNG data: URLs (the samples panel). */
  previews?: boolean;
  /** Decode these latents instead of drawing n from the prior (image models: the panel's interpolation). */
  latents?: number[][];
}

/** The samples as pictures for a webview. */
export interface SamplePreviews {
  /** "images": one data: URL per sample; "points": one scatter plot of all of them over the data. */
  kind: 'images' | 'points';
  oneStep: string[];
  mcmc?: string[];
  /** Each sample's latent (images), so two can be interpolated. */
  latents?: number[][];
}

export interface SampleOutcome {
  out?: string;
  previews?: SamplePreviews;
  n: number;
  seed: number;
  mcmcSteps: number;
  checkpoint: string;
  iteration: number;
  secondsPerImage: { oneStep: number; mcmc?: number };
}

/** Refuses an output name whose extension is not an image format we write (the format follows the extension). */
export function requireImageOutput(file: string): void {
  if (!outputFormat(file)) throw new ActionError(`Output file ${file} must end in .png, .jpg or .jpeg (the format follows the extension).`, file);
  requireOutputFile(file, 'output image');
}

/**
 * Sampling: one decoder pass plus optional MCMC, in chunks of rows and steps with the
 * event loop served in between (within the protocol's limits a request can run for
 * minutes), cancellable through `signal` at any step; a cancelled request writes no file.
 */
export async function sampleToFile(r: SampleRequest, signal?: AbortSignal): Promise<SampleOutcome> {
  const seed = r.seed ?? 0,
    steps = r.mcmcSteps ?? 0;
  if (!r.out && !r.previews) throw new ActionError('Sampling needs an output file (out) or previews.');
  if (r.out) requireImageOutput(r.out);
  requireDistinctPaths({ output: r.out }, { checkpoint: r.checkpoint });
  requireFiniteLatents(r.latents);
  throwIfCancelled(signal, 'Sampling');
  const m = loadTrained(r.checkpoint);
  if (r.latents && new Set(r.latents.map((z) => z.length)).size > 1) throw new ActionError('Latents must all have the same length.');
  const latents = r.latents ? tf.tensor2d(r.latents) : undefined;
  try {
    const d = await drawAsync(
      m,
      { n: r.latents?.length ?? r.n ?? 64, seed, mcmcSteps: steps, ...(latents ? { latents } : {}) },
      cooperativePause(signal, 'Sampling'),
    );
    const n = d.oneStep.shape[0]!;
    try {
      throwIfCancelled(signal, 'Sampling');
      if (r.out) writeSamples(r.out, m.model.dataShape, d.mcmc ?? d.oneStep);
      return {
        ...(r.out ? { out: r.out } : {}),
        ...(r.previews ? { previews: previews(m.model.dataShape, d) } : {}),
        n,
        seed,
        mcmcSteps: steps,
        checkpoint: m.file,
        iteration: m.iteration,
        secondsPerImage: { oneStep: d.seconds.oneStep / n, ...(d.seconds.mcmc !== undefined ? { mcmc: d.seconds.mcmc / n } : {}) },
      };
    } finally {
      d.dispose();
    }
  } finally {
    latents?.dispose();
    m.dispose();
  }
}

function previews(dataShape: readonly number[], d: Drawn): SamplePreviews {
  if (dataShape.length !== 3) {
    const scatter = (x: tf.Tensor): string[] => [pictureDataUrl(samplesPicture(x.dataSync() as Float32Array, x.shape[0]!, [...dataShape]))];
    return { kind: 'points', oneStep: scatter(d.oneStep), ...(d.mcmc ? { mcmc: scatter(d.mcmc) } : {}) };
  }
  const each = (x: tf.Tensor): string[] => imageDataUrls(x as tf.Tensor4D);
  return { kind: 'images', oneStep: each(d.oneStep), ...(d.mcmc ? { mcmc: each(d.mcmc) } : {}), latents: d.z.arraySync() };
}
