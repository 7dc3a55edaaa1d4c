/**
 * Test-time generation: one decoder pass G(n) (the "free lunch"), and optional
 * refinement by Langevin dynamics on the energy model ("EC-VAE w/ MCMC"): in pixel space
 * from G(n) (SGLD, the default), or in latent space on E(G(z)) and the prior, then
 * decoded (`mcmcSpace` "latent": the official code's generate_(ebm_z=True), latentChain.ts).
 * Every network pass runs in eval mode (models/buffers.ts): BatchNorm with its running
 * statistics, so a sample does not depend on the other samples of its batch.
 */
import type { RunConfig } from '../config/config.ts';
import { generateFrom, type EcvaeModel } from '../models/index.ts';
import { drawDecoderNoise } from '../models/noise.ts';
import { inEvalMode } from '../models/buffers.ts';
import { MCMC_SPACES, type McmcSpace } from './mcmcSpace.ts';
import { latentChain, latentChainAsync, type LatentChainOptions } from './latentChain.ts';
import type { Params } from '../core/params.ts';
import { deriveSeed, Stream } from '../core/rng.ts';
import { sgld, sgldAsync, sgldOptions, type SgldResult } from './sgld.ts';
import * as tf from '../core/tf.ts';
import type { TrainedModel } from '../store/trainedModel.ts';
import { UserError } from '../../runLayout/errors.ts';

export { MCMC_SPACES, type McmcSpace } from './mcmcSpace.ts';

const CHUNK = 256;

/** Builds n rows in chunks of CHUNK (bounded memory for large n) and concatenates them. */
export function inChunks(n: number, part: (start: number, size: number) => tf.Tensor): tf.Tensor {
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < n; i += CHUNK) parts.push(part(i, Math.min(CHUNK, n - i)));
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts);
  parts.forEach((p) => p.dispose());
  return out;
}

/** `inChunks` with `pause` awaited between chunks (the parts made so far are released if it throws). */
export async function inChunksAsync(
  n: number,
  part: (start: number, size: number) => Promise<tf.Tensor> | tf.Tensor,
  pause: () => Promise<void>,
): Promise<tf.Tensor> {
  const parts: tf.Tensor[] = [];
  try {
    for (let i = 0; i < n; i += CHUNK) {
      parts.push(await part(i, Math.min(CHUNK, n - i)));
      await pause();
    }
  } catch (err) {
    tf.dispose(parts);
    throw err;
  }
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts);
  tf.dispose(parts);
  return out;
}

/** The latents z ~ N(0, I) that `generate` decodes for this seed, [n, latentDim]. */
function priorLatents(latentDim: number, n: number, seed: number): tf.Tensor2D {
  return inChunks(n, (i, m) => tf.randomNormal([m, latentDim], 0, 1, 'float32', deriveSeed(seed, Stream.sample, i))) as tf.Tensor2D;
}

/** G(z) for each row of z, in chunks (a noise-injecting decoder's noise drawn per chunk from `seed`). */
function decodeLatents(model: EcvaeModel, vae: Params, z: tf.Tensor2D, seed: number): tf.Tensor {
  return inChunks(z.shape[0], (i, m) => tf.tidy(() => decodeChunk(model, vae, z, i, m, seed)));
}

/** Rows [i, i + m) of z decoded, with that chunk's decoder noise. */
function decodeChunk(model: EcvaeModel, vae: Params, z: tf.Tensor2D, i: number, m: number, seed: number): tf.Tensor {
  return inEvalMode(() => generateFrom(model, vae, z.slice(i, m), drawDecoderNoise(model, m, deriveSeed(seed, Stream.decoderNoise, i))));
}

/** The energy as the samplers use it: in eval mode. */
const testEnergy =
  (model: EcvaeModel, ebm: Params) =>
  (x: tf.Tensor): tf.Tensor1D =>
    inEvalMode(() => model.energy(ebm, x));

/**
 * The latent chain of rows [i, i + m) of the base latents n and its decoder: the same
 * decoder noise as that chunk's one-step sample, the chain's noise seeded per row.
 */
function latentChunk(m: TrainedModel, n: tf.Tensor2D, i: number, k: number, steps: number, seed: number) {
  const noise = drawDecoderNoise(m.model, k, deriveSeed(seed, Stream.decoderNoise, i));
  const decode = (v: tf.Tensor2D): tf.Tensor => inEvalMode(() => generateFrom(m.model, m.vae, v, noise));
  const o: LatentChainOptions = { ...sgldOptions(m.config, steps, deriveSeed(seed, Stream.sgldLatent)), rowOffset: i, prior: true };
  const start = n.slice(i, k);
  return {
    start,
    decode,
    o,
    /** The decoded end of the chain; the chain's tensors are disposed. */
    finish(r: SgldResult): tf.Tensor {
      const x = tf.tidy(() => decode(r.x as tf.Tensor2D));
      tf.dispose([r.x, r.drift]);
      return x;
    },
    dispose: () => tf.dispose([start, ...(noise ?? [])]),
  };
}

/** Latent-space refinement: the chain on base latents `n`, then decoded (the same noise as the one-step decode). */
export function refineLatent(m: TrainedModel, n: tf.Tensor2D, steps: number, seed: number): tf.Tensor {
  return inChunks(n.shape[0], (i, k) => {
    const c = latentChunk(m, n, i, k, steps, seed);
    try {
      return c.finish(latentChain(c.decode, testEnergy(m.model, m.ebm!), c.start, c.o));
    } finally {
      c.dispose();
    }
  });
}

/** n samples [n, ...dataShape] from the prior through the decoder. */
export function generate(model: EcvaeModel, vae: Params, n: number, seed: number): tf.Tensor {
  const z = priorLatents(model.latentDim, n, seed);
  try {
    return decodeLatents(model, vae, z, seed);
  } finally {
    z.dispose();
  }
}

/** SGLD refinement of samples on the energy model (conditioned on themselves, as in training). */
export function refine(model: EcvaeModel, ebm: Params, x: tf.Tensor, steps: number, cfg: Pick<RunConfig, 'calibration'>, seed: number): tf.Tensor {
  return inChunks(x.shape[0]!, (i, m) => {
    const chunk = x.slice(i, m);
    const out = sgld(testEnergy(model, ebm), chunk, chunk, sgldOptions(cfg, steps, deriveSeed(seed, Stream.sample, 1_000_000 + i)));
    chunk.dispose();
    return out;
  });
}

/** A sampling request the model cannot serve (as opposed to an internal failure). */
export class SamplerError extends UserError {
  constructor(message: string) {
    super('sample', message);
  }
}

/** Samples with what made them: the latents, the one-step samples, the MCMC-refined ones. The caller disposes. */
export interface Drawn {
  z: tf.Tensor2D;
  oneStep: tf.Tensor;
  mcmc?: tf.Tensor;
  /** Seconds of each stage, for all samples. */
  seconds: { oneStep: number; mcmc?: number };
  dispose(): void;
}

/**
 * Samples from a trained model: one decoder pass over `latents` (or n prior draws for
 * `seed`), then `mcmcSteps` of SGLD refinement when asked. Reports the time of each stage
 * (values forced, so the times are real).
 */
export function draw(m: TrainedModel, o: DrawOptions): Drawn {
  checkDraw(m, o);
  const z = o.latents ? o.latents.clone() : priorLatents(m.model.latentDim, o.n, o.seed);
  const t0 = performance.now();
  const oneStep = decodeLatents(m.model, m.vae, z, o.seed);
  oneStep.dataSync();
  const seconds: Drawn['seconds'] = { oneStep: (performance.now() - t0) / 1000 };
  let mcmc: tf.Tensor | undefined;
  if (o.mcmcSteps > 0) {
    const t1 = performance.now();
    mcmc = o.mcmcSpace === 'latent' ? refineLatent(m, z, o.mcmcSteps, o.seed) : refine(m.model, m.ebm!, oneStep, o.mcmcSteps, m.config, o.seed);
    mcmc.dataSync();
    seconds.mcmc = (performance.now() - t1) / 1000;
  }
  return { z, oneStep, ...(mcmc ? { mcmc } : {}), seconds, dispose: () => [z, oneStep, mcmc].forEach((t) => t?.dispose()) };
}

/**
 * `draw` for work served by the sidecar: the same samples, with `pause` awaited between
 * chunks of rows and between Langevin steps, so that a long request (10,000 samples, 1,000
 * MCMC steps) neither holds the event loop nor ignores cancellation.
 */
export async function drawAsync(m: TrainedModel, o: DrawOptions, pause: () => Promise<void>): Promise<Drawn> {
  checkDraw(m, o);
  const z = o.latents ? o.latents.clone() : priorLatents(m.model.latentDim, o.n, o.seed);
  const held: tf.Tensor[] = [z];
  try {
    const t0 = performance.now();
    const oneStep = await inChunksAsync(z.shape[0], (i, k) => tf.tidy(() => decodeChunk(m.model, m.vae, z, i, k, o.seed)), pause);
    held.push(oneStep);
    oneStep.dataSync();
    const seconds: Drawn['seconds'] = { oneStep: (performance.now() - t0) / 1000 };
    let mcmc: tf.Tensor | undefined;
    if (o.mcmcSteps > 0) {
      const t1 = performance.now();
      mcmc = await inChunksAsync(
        oneStep.shape[0]!,
        async (i, k) => {
          if (o.mcmcSpace === 'latent') return latentChunkAsync(m, z, i, k, o, pause);
          const chunk = oneStep.slice(i, k);
          try {
            return await sgldAsync(
              testEnergy(m.model, m.ebm!),
              chunk,
              chunk,
              sgldOptions(m.config, o.mcmcSteps, deriveSeed(o.seed, Stream.sample, 1_000_000 + i)),
              pause,
            );
          } finally {
            chunk.dispose();
          }
        },
        pause,
      );
      mcmc.dataSync();
      seconds.mcmc = (performance.now() - t1) / 1000;
    }
    return { z, oneStep, ...(mcmc ? { mcmc } : {}), seconds, dispose: () => [z, oneStep, mcmc].forEach((t) => t?.dispose()) };
  } catch (err) {
    tf.dispose(held);
    throw err;
  }
}

/** `refineLatent` for rows [i, i + k), with `pause` between steps. */
async function latentChunkAsync(m: TrainedModel, n: tf.Tensor2D, i: number, k: number, o: DrawOptions, pause: () => Promise<void>): Promise<tf.Tensor> {
  const c = latentChunk(m, n, i, k, o.mcmcSteps, o.seed);
  try {
    return c.finish(await latentChainAsync(c.decode, testEnergy(m.model, m.ebm!), c.start, c.o, pause));
  } finally {
    c.dispose();
  }
}

export interface DrawOptions {
  n: number;
  seed: number;
  mcmcSteps: number;
  /** Where the MCMC refinement runs (default "pixel"). */
  mcmcSpace?: McmcSpace;
  latents?: tf.Tensor2D;
}

function checkDraw(m: TrainedModel, o: DrawOptions): void {
  if (o.mcmcSpace !== undefined && !MCMC_SPACES.includes(o.mcmcSpace))
    throw new SamplerError(`MCMC space must be one of ${MCMC_SPACES.join(', ')} (got ${JSON.stringify(o.mcmcSpace)}).`);
  if (o.mcmcSteps > 0 && !m.ebm)
    throw new SamplerError(`MCMC refinement (mcmc steps ${o.mcmcSteps}) needs an energy model, but ${m.file} is a plain VAE (calibration.enabled false).`);
  if (o.latents && o.latents.shape[1] !== m.model.latentDim)
    throw new SamplerError(`Latents must have ${m.model.latentDim} values each for this model (got ${o.latents.shape[1]}).`);
}

/** n samples (MCMC-refined when mcmcSteps > 0) and the time of each stage. */
export function drawSamples(
  m: TrainedModel,
  n: number,
  mcmcSteps: number,
  seed: number,
  mcmcSpace: McmcSpace = 'pixel',
): { x: tf.Tensor; seconds: { oneStep: number; mcmc?: number } } {
  const d = draw(m, { n, seed, mcmcSteps, mcmcSpace });
  const x = d.mcmc ?? d.oneStep;
  [d.z, ...(d.mcmc ? [d.oneStep] : [])].forEach((t) => t.dispose());
  return { x, seconds: d.seconds };
}
