/**
 * The sample use case, for the CLI (`ecvae sample`) and the sidecar (`sample`): draw
 * from a checkpoint into a picture file, and/or previews for the samples panel.
 */
import { drawAsync, type Drawn } from '../engine/algorithm/sample.ts';
import { selectBackend } from '../engine/core/backend.ts';
import { cooperativePause, throwIfCancelled } from '../engine/core/cancel.ts';
import * as tf from '../engine/core/tf.ts';
import { requireDistinctPaths } from '../engine/store/outputFolder.ts';
import { samplesPicture, writeSamples } from '../engine/store/pictures.ts';
import { loadTrained } from '../engine/store/trainedModel.ts';
import type { SampleOutcome, SampleParams, SamplePreviews } from '../protocol.ts';
import type { UseCase } from './context.ts';
import { imageDataUrls, pictureDataUrl } from './previews.ts';
import { ActionError, requireImageOutput } from './requests.ts';

/** Selects the backend the caller asked for (default: the fastest that loads), then samples. */
export async function sample(p: SampleParams, ctx: UseCase = {}): Promise<SampleOutcome> {
  await selectBackend(ctx.backend ?? 'auto');
  return sampleToFile(p, ctx.signal);
}

/** Latents are decoded as given: a non-finite value would decode to a silently blank or NaN picture. */
export function requireFiniteLatents(latents: number[][] | undefined): void {
  latents?.forEach((z, i) => {
    const j = z.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (j >= 0) throw new ActionError(`Latent ${i} has a non-finite value at position ${j} (${String(z[j])}); latents must be finite numbers.`);
  });
}

/**
 * Sampling: one decoder pass plus optional MCMC, in chunks of rows and steps with the
 * event loop served in between (within the protocol's limits a request can run for
 * minutes), cancellable through `signal` at any step; a cancelled request writes no file.
 */
export async function sampleToFile(r: SampleParams, signal?: AbortSignal): Promise<SampleOutcome> {
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
      { n: r.latents?.length ?? r.n ?? 64, seed, mcmcSteps: steps, mcmcSpace: r.mcmcSpace ?? 'pixel', ...(latents ? { latents } : {}) },
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
