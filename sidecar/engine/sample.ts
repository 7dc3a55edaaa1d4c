/**
 * Test-time generation: one decoder pass G(n) (the "free lunch"), and optional
 * refinement by SGLD on the energy model from G(n) ("EC-VAE w/ MCMC").
 */
import type { RunConfig } from './config.ts';
import type { EcvaeModel } from './models/index.ts';
import type { Params } from './params.ts';
import { deriveSeed, Stream } from './rng.ts';
import { sgld, sgldOptions } from './sgld.ts';
import * as tf from './tf.ts';
import type { TrainedModel } from './trainedModel.ts';
import { UserError } from './errors.ts';

const CHUNK = 256;

/** Builds n rows in chunks of CHUNK (bounded memory for large n) and concatenates them. */
function inChunks(n: number, part: (start: number, size: number) => tf.Tensor): tf.Tensor {
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < n; i += CHUNK) parts.push(part(i, Math.min(CHUNK, n - i)));
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts);
  parts.forEach((p) => p.dispose());
  return out;
}

/** n samples [n, ...dataShape] from the prior through the decoder. */
export function generate(model: EcvaeModel, vae: Params, n: number, seed: number): tf.Tensor {
  return inChunks(n, (i, m) =>
    tf.tidy(() => model.decode(vae, tf.randomNormal([m, model.latentDim], 0, 1, 'float32', deriveSeed(seed, Stream.sample, i)) as tf.Tensor2D)),
  );
}

/** SGLD refinement of samples on the energy model (conditioned on themselves, as in training). */
export function refine(model: EcvaeModel, ebm: Params, x: tf.Tensor, steps: number, cfg: RunConfig, seed: number): tf.Tensor {
  return inChunks(x.shape[0]!, (i, m) => {
    const chunk = x.slice(i, m);
    const out = sgld((v) => model.energy(ebm, v, true), chunk, chunk, sgldOptions(cfg, steps, deriveSeed(seed, Stream.sample, 1_000_000 + i)));
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

/**
 * n samples from a trained model: one decoder pass, then `mcmcSteps` of SGLD refinement
 * when asked. Reports the time of each stage (values forced, so the times are real).
 */
export function drawSamples(m: TrainedModel, n: number, mcmcSteps: number, seed: number): { x: tf.Tensor; seconds: { oneStep: number; mcmc?: number } } {
  if (mcmcSteps > 0 && !m.ebm)
    throw new SamplerError(`MCMC refinement (mcmc steps ${mcmcSteps}) needs an energy model, but ${m.file} is a plain VAE (calibration.enabled false).`);
  const t0 = performance.now();
  const one = generate(m.model, m.vae, n, seed);
  one.dataSync();
  const oneStep = (performance.now() - t0) / 1000;
  if (mcmcSteps === 0) return { x: one, seconds: { oneStep } };
  const t1 = performance.now();
  const x = refine(m.model, m.ebm!, one, mcmcSteps, m.config, seed);
  x.dataSync();
  one.dispose();
  return { x, seconds: { oneStep, mcmc: (performance.now() - t1) / 1000 } };
}
