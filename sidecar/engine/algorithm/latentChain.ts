/**
 * Langevin dynamics in latent space on the energy of the decoded sample, the official
 * code's `sgld_z` (utils.py), used by the latent-space sampler (`mcmcSpace` "latent",
 * algorithm/sample.ts) and the calibrated latent prior's targets (algorithm/trainer.ts):
 *   x_k   = G(z_k)
 *   U(z)  = E(G(z) + d_k) [+ ||z||^2/2 with `prior`]
 *   d_k+1 = -(s/2)·grad_x E(x_k + d_k)                 (the look-ahead)
 *   z_k+1 = z_k - (s/2)·grad_z U(z_k) + sqrt(s)·noiseScale·N(0, I)
 * The look-ahead d evaluates the energy where one pixel-space step from the previous
 * decoded sample would land, as sgld_z does; both gradients come from one backward pass.
 * The prior term makes the chain target N(z; 0, I)·exp(-E(G(z))), the latent form of the
 * EC-VAE's density p(x) ∝ p_G(x)·exp(-E(x)); sgld_z has none (its chains are short enough
 * that z stays near the prior).
 */
import * as tf from '../core/tf.ts';
import { rowNoise } from '../ops/rowNoise.ts';
import { runChain, runChainAsync, type EnergyFn, type SgldOptions, type SgldResult } from './sgld.ts';

export interface LatentChainOptions extends Pick<SgldOptions, 'steps' | 'stepSize' | 'noiseScale' | 'seed' | 'rowOffset'> {
  /** Adds ||z||^2/2 (the N(0, I) prior of the chain's space) to the potential. */
  prior: boolean;
}

/**
 * The chain from `start` ([B, latent]); returns the end z_K and the drift (the sum of the
 * gradient steps). Row r's noise at step k is seeded by deriveSeed(seed, k, rowOffset + r),
 * so a row's chain does not depend on the other rows of its batch.
 */
export function* latentChainSteps(
  decode: (z: tf.Tensor2D) => tf.Tensor,
  energy: EnergyFn,
  start: tf.Tensor2D,
  o: LatentChainOptions,
): Generator<void, SgldResult, void> {
  const half = o.stepSize / 2;
  const std = Math.sqrt(o.stepSize) * o.noiseScale;
  let z: tf.Tensor2D = start.clone();
  let drift: tf.Tensor = tf.zerosLike(start);
  let lookAhead: tf.Tensor | undefined;
  let done = false;
  try {
    for (let k = 0; k < o.steps; k++) {
      if (k > 0) yield;
      const next = tf.tidy(() => {
        const d = lookAhead ?? tf.zeros([start.shape[0], ...decodedShape(decode, z)]);
        const potential = (v: tf.Tensor, dv: tf.Tensor): tf.Scalar => {
          const e = energy(decode(v as tf.Tensor2D).add(dv)).sum();
          return (o.prior ? e.add(v.square().sum().mul(0.5)) : e) as tf.Scalar;
        };
        const [gz, gx] = tf.grads(potential)([z, d]) as [tf.Tensor, tf.Tensor];
        const step = gz.mul(-half);
        let moved: tf.Tensor = z.add(step);
        if (std > 0) moved = moved.add(rowNoise(z.shape, std, o.seed, k, o.rowOffset ?? 0));
        return [moved as tf.Tensor2D, drift.add(step), gx.mul(-half)];
      });
      tf.dispose([z, drift, lookAhead]);
      [z, drift, lookAhead] = next as [tf.Tensor2D, tf.Tensor, tf.Tensor];
    }
    done = true;
  } finally {
    lookAhead?.dispose();
    if (!done) tf.dispose([z, drift]);
  }
  return { x: z, drift };
}

/** The shape of one decoded example (the look-ahead's shape before the first step). */
function decodedShape(decode: (z: tf.Tensor2D) => tf.Tensor, z: tf.Tensor2D): number[] {
  return decode(z.slice(0, 1)).shape.slice(1);
}

/** Runs the chain to its end. */
export function latentChain(decode: (z: tf.Tensor2D) => tf.Tensor, energy: EnergyFn, start: tf.Tensor2D, o: LatentChainOptions): SgldResult {
  return runChain(latentChainSteps(decode, energy, start, o));
}

/** `latentChain` with `pause` awaited between steps (pause throws to cancel; nothing leaks). */
export function latentChainAsync(
  decode: (z: tf.Tensor2D) => tf.Tensor,
  energy: EnergyFn,
  start: tf.Tensor2D,
  o: LatentChainOptions,
  pause: () => Promise<void>,
): Promise<SgldResult> {
  return runChainAsync(latentChainSteps(decode, energy, start, o), pause);
}
