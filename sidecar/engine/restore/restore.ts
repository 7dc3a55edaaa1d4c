/**
 * Zero-shot restoration (docs/restoration.md): Langevin dynamics in latent space ("transported"
 * through the decoder, where the posterior is well conditioned), with the range-null
 * projection supplying the observed part exactly and the model the rest.
 *   z_0 = mu(A+ y)
 *   x^ = G(z), x_rn = P(x^) (for denoising, x_rn = y: there is no null space)
 *   z <- z - (s/2)·grad_z[ ||G(z) - x_rn||^2/sigma^2 + ||z||^2/2 + w·E(G(z)) ] + sqrt(s)·a_t·N(0, I)
 * with a_t annealed linearly from noiseScale to 0. Output: x_rn of the last step
 * (G(z) for denoising).
 * E is the energy network's output before the division by the model's temperature tau:
 * the model's energy E/tau times tau. A model trained at the paper's tau = 1e-5 has
 * an E/tau 10^5 times steeper than one at tau = 1, which would swamp the data term at
 * any weight the defaults use; w is therefore per unit temperature, the same for every tau.
 * Every network pass runs in eval mode (BatchNorm with its running statistics), so an
 * image restored alone gets what it gets inside a batch.
 */
import { generateFrom, type EcvaeModel } from '../models/index.ts';
import { inEvalMode } from '../models/buffers.ts';
import type { Params } from '../core/params.ts';
import { yieldAndCheck } from '../core/cancel.ts';
import { FilterCache } from '../ops/filterCache.ts';
import { deriveSeed } from '../core/rng.ts';
import { langevinStep } from '../algorithm/sgld.ts';
import * as tf from '../core/tf.ts';
import { rangeNullProject, type Degradation } from './degradations.ts';
import { stopGradient } from '../ops/elementwise.ts';

import type { RestoreOptions } from './options.ts';

export { RESTORE_DEFAULTS, type RestoreOptions } from './options.ts';

/**
 * Sees the current estimate (the output the chain would give if it stopped now) before
 * the first step and then every `every` steps; the tensor is disposed after the call.
 */
export interface EstimateWatcher {
  every: number;
  onEstimate(step: number, estimate: tf.Tensor4D): void;
}

/** Async so that a caller with `signal` can cancel between Langevin steps (CancelledError). */
export async function restore(
  model: EcvaeModel,
  vae: Params,
  ebm: Params,
  op: Degradation,
  y: tf.Tensor4D,
  o: RestoreOptions,
  run: { temperature: number; signal?: AbortSignal; watch?: EstimateWatcher },
): Promise<tf.Tensor4D> {
  const { signal, watch } = run;
  const sigma = op.noise > 0 ? op.noise : o.dataSigma;
  const energyWeight = o.energyWeight * run.temperature;
  const start = tf.tidy(() => op.pinv(y));
  // The chain runs in the prior's base space (for a flow prior, n = F(z)), where the prior is N(0, I).
  let z = inEvalMode(() =>
    tf.tidy(() => {
      const mu = model.encode(vae, start).mu;
      return model.toBase ? model.toBase(vae, mu) : mu;
    }),
  );
  start.dispose();
  const target = (xhat: tf.Tensor4D): tf.Tensor4D => (op.task === 'denoise' ? y.clone() : rangeNullProject(op, y, xhat));
  // The chain differentiates with respect to z only: no parameter gradient runs.
  const step = (z: tf.Tensor2D, t: number): tf.Tensor2D =>
    tf.tidy((): tf.Tensor2D => {
      const g = tf.grad((v: tf.Tensor) => {
        const x = generateFrom(model, vae, v as tf.Tensor2D) as tf.Tensor4D;
        // The data term pulls toward a target made from this decode, held fixed: one decoder pass per step.
        const xrn = target(stopGradient(x));
        const data = tf
          .squaredDifference(x, xrn)
          .sum()
          .div(sigma * sigma);
        const prior = v.square().sum().mul(0.5);
        const energy = energyWeight ? model.energy(ebm, x).sum().mul(energyWeight) : tf.scalar(0);
        return data.add(prior).add(energy) as tf.Scalar;
      })(z);
      const anneal = o.noiseScale * (1 - t / o.steps);
      return langevinStep(z, g, o.stepSize, anneal, (std) => tf.randomNormal(z.shape, 0, std, 'float32', deriveSeed(o.seed, t))).x as tf.Tensor2D;
    });
  // The output of a chain stopped at z: the projection keeps the observed part exactly.
  const output = (z: tf.Tensor2D): tf.Tensor4D =>
    inEvalMode(() =>
      tf.tidy(() => {
        const xhat = generateFrom(model, vae, z) as tf.Tensor4D;
        return op.task === 'denoise' ? xhat : rangeNullProject(op, y, xhat);
      }),
    );
  const show = (t: number): void => {
    if (!watch || t % Math.max(1, watch.every) !== 0) return;
    const x = output(z);
    try {
      watch.onEstimate(t, x);
    } finally {
      x.dispose();
    }
  };
  // The weights stay fixed for the whole restoration: filters' derived tensors are made once.
  const filters = new FilterCache();
  try {
    for (let t = 0; t < o.steps; t++) {
      show(t);
      await yieldAndCheck(signal, 'Restoration');
      const next = filters.run(() => inEvalMode(() => step(z, t)));
      z.dispose();
      z = next;
    }
  } catch (err) {
    z.dispose();
    throw err;
  } finally {
    filters.dispose();
  }
  const out = output(z);
  z.dispose();
  return out;
}
