/**
 * Short-run Langevin dynamics (SGLD) on an energy, conditioned on a source sample s by
 * an annealed proximity term (docs/calibration.md, The algorithm, step 3):
 *   prox_k(x) = ((K-k-1)/K) · (relu(||clip(x) - clip(s)||^2 - t) + t)      per example
 *   x_{k+1}   = x_k - (eta/2)·grad_x[E(x_k) + prox_k(x_k)] + sqrt(eta)·noiseScale·N(0, I)
 * Early steps stay near the source; the last step is free, so the chain calibrates the
 * decoder's sample instead of wandering off to an unrelated mode.
 */
import type { RunConfig } from '../config/config.ts';
import * as tf from '../core/tf.ts';
import { FilterCache, withFilterCache } from '../ops/filterCache.ts';
import { clip } from '../ops/elementwise.ts';
import { fusedLangevinAvailable, fusedLangevinStep } from '../ops/langevin.ts';
import { rowNoise } from '../ops/rowNoise.ts';

export interface SgldOptions {
  steps: number;
  stepSize: number;
  noiseScale: number;
  proxThreshold: number;
  /** Noise of step k for batch row r is drawn with seed deriveSeed(seed, k, r): reproducible chains. */
  seed: number;
  /**
   * When the chain runs rows [rowOffset, rowOffset + rows) of a larger batch
   * (data-parallel SGLD), its row i is the batch's row rowOffset + i and gets that row's
   * noise, so a split batch gets exactly the noise of a single-process run while each
   * part draws only its own rows (drawing the whole batch and slicing would make every
   * thread pay for all of them).
   */
  rowOffset?: number;
  /** false: no proximity term (the latent chains of a calibrated prior: clipping to [-1, 1] is for pixels). */
  proximity?: boolean;
}

export type EnergyFn = (x: tf.Tensor) => tf.Tensor1D;

/** The chain settings of a run's config, for `steps` steps seeded by `seed`. */
export function sgldOptions(cfg: Pick<RunConfig, 'calibration'>, steps: number, seed: number): SgldOptions {
  const c = cfg.calibration;
  return { steps, stepSize: c.sgldStepSize, noiseScale: c.sgldNoiseScale, proxThreshold: c.proxThreshold, seed };
}

/**
 * One Langevin step on a potential U: x − (η/2)·∇U(x) + sqrt(η)·noiseScale·N(0, I), the
 * step of the training chains here and of restoration's latent chain (restore/restore.ts).
 * Returns the new x and the step's drift −(η/2)·∇U; `noise(std)` draws the noise.
 */
export function langevinStep(x: tf.Tensor, gradU: tf.Tensor, stepSize: number, noiseScale: number, noise: (std: number) => tf.Tensor): SgldResult {
  const drift = gradU.mul(-stepSize / 2);
  const moved = x.add(drift);
  return { x: noiseScale > 0 ? moved.add(noise(Math.sqrt(stepSize) * noiseScale)) : moved, drift };
}

/** Per-example squared distance between clipped tensors, thresholded: relu(d - t) + t. */
export function proximity(x: tf.Tensor, s: tf.Tensor, threshold: number): tf.Tensor1D {
  const axes = x.shape.slice(1).map((_, i) => i + 1);
  const d = tf.squaredDifference(clip(x, -1, 1), s.clipByValue(-1, 1)).sum(axes);
  return d.sub(threshold).relu().add(threshold) as tf.Tensor1D;
}

/**
 * The chain's end x_K, and its drift: the sum of the gradient steps -(eta/2)·grad, so
 * x_K = start + drift + (the injected noise). The drift is what the energy asks of the
 * sample; the noise is the same whatever the energy (docs/calibration.md).
 */
export interface SgldResult {
  x: tf.Tensor;
  drift: tf.Tensor;
}

/** Runs the chain from `start`, conditioned on `cond`. Returns new tensors; inputs are untouched. */
export function sgldChain(energy: EnergyFn, start: tf.Tensor, cond: tf.Tensor, o: SgldOptions): SgldResult {
  return runChain(chainSteps(energy, start, cond, o));
}

/** The chain's end only (test-time refinement). */
export function sgld(energy: EnergyFn, start: tf.Tensor, cond: tf.Tensor, o: SgldOptions): tf.Tensor {
  const r = sgldChain(energy, start, cond, o);
  r.drift.dispose();
  return r.x;
}

/**
 * `sgld` with `pause` awaited between steps, so that a long chain served by the sidecar
 * lets other requests and cancellation in. The same steps and noise as `sgld`.
 */
export async function sgldAsync(energy: EnergyFn, start: tf.Tensor, cond: tf.Tensor, o: SgldOptions, pause: () => Promise<void>): Promise<tf.Tensor> {
  const r = await runChainAsync(chainSteps(energy, start, cond, o), pause);
  r.drift.dispose();
  return r.x;
}

/** Runs a chain's steps (a generator yielding between steps) to its end in one FilterCache: the weights are fixed for the whole chain. */
export function runChain<R>(steps: Generator<void, R, void>): R {
  return withFilterCache(() => {
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  });
}

/** `runChain` with `pause` awaited between steps (pause throws to cancel; the chain's own cleanup runs, nothing leaks). */
export async function runChainAsync<R>(steps: Generator<void, R, void>, pause: () => Promise<void>): Promise<R> {
  const cache = new FilterCache();
  try {
    for (;;) {
      const r = cache.run(() => steps.next());
      if (r.done) return r.value;
      await pause();
    }
  } catch (err) {
    cache.run(() => steps.return(undefined as never)); // runs the chain's cleanup
    throw err;
  } finally {
    cache.dispose();
  }
}

/** The chain, one step per `next()`; its result when done. Returning early disposes what it holds. */
function* chainSteps(energy: EnergyFn, start: tf.Tensor, cond: tf.Tensor, o: SgldOptions): Generator<void, SgldResult, void> {
  const K = o.steps;
  const noiseStd = o.noiseScale > 0 ? Math.sqrt(o.stepSize) * o.noiseScale : 0;
  // Where it can run, one kernel does all of a step but the energy's gradient (ops/langevin.ts).
  const fused = fusedLangevinAvailable(start);
  const condClipped = fused && o.proximity !== false ? tf.tidy(() => cond.clipByValue(-1, 1)) : undefined;
  let x = start.clone();
  let drift = tf.zerosLike(start);
  let done = false;
  try {
    for (let k = 0; k < K; k++) {
      if (k > 0) yield;
      const w = o.proximity === false ? 0 : (K - k - 1) / K;
      const next = tf.tidy(() => {
        if (fused) {
          const gE = tf.grad((v: tf.Tensor) => energy(v).sum() as tf.Scalar)(x);
          const opts = { proximityWeight: w, threshold: o.proxThreshold, stepSize: o.stepSize, noiseStd, seed: o.seed, step: k, rowOffset: o.rowOffset ?? 0 };
          const s = fusedLangevinStep(x, gE, condClipped ?? x, drift, opts);
          return [s.x, s.drift];
        }
        const objective = (v: tf.Tensor): tf.Scalar => {
          const e = energy(v).sum();
          return (w > 0 ? e.add(proximity(v, cond, o.proxThreshold).sum().mul(w)) : e) as tf.Scalar;
        };
        const s = langevinStep(x, tf.grad(objective)(x), o.stepSize, o.noiseScale, (std) => rowNoise(x.shape, std, o.seed, k, o.rowOffset ?? 0));
        return [s.x, drift.add(s.drift)];
      });
      x.dispose();
      drift.dispose();
      [x, drift] = next as [tf.Tensor, tf.Tensor];
    }
    done = true;
  } finally {
    condClipped?.dispose();
    if (!done) tf.dispose([x, drift]);
  }
  return { x, drift };
}
