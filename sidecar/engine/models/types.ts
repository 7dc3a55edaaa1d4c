import type * as tf from '../core/tf.ts';
import type { ParamSpec, Params } from '../core/params.ts';

/**
 * One EC-VAE model family: encoder q(z|x), decoder G(z) with tanh output in [-1, 1], and
 * the conditional energy E(x) (lower = more realistic, already divided by tau).
 * All are pure functions of (params, inputs).
 */
export interface EcvaeModel {
  kind: 'conv' | 'mlp' | 'paper32' | 'paper64' | 'paper256' | 'flow';
  /** Shape of one example: [H, W, C] for images, [D] for vectors. */
  dataShape: number[];
  latentDim: number;
  specs: { enc: ParamSpec[]; dec: ParamSpec[]; ebm: ParamSpec[] };
  /** Float values one example's forward passes through the three networks write, where the model counts them (memory.ts). */
  activationsPerExample?: number;
  encode(p: Params, x: tf.Tensor): { mu: tf.Tensor2D; logvar: tf.Tensor2D };
  /** `noise`: the maps a decoder with noise injection adds (shapes `decoderNoise`); without them it injects none. */
  decode(p: Params, z: tf.Tensor2D, noise?: tf.Tensor4D[]): tf.Tensor;
  /**
   * A decoder that injects noise (paper64's ResNet18Dec): the shape [H, W, C] of each
   * noise map one example takes, N(0, I) draws the caller makes (models/noise.ts).
   */
  decoderNoise?: number[][];
  /** Per-example energy [B]. */
  energy(p: Params, x: tf.Tensor): tf.Tensor1D;
  /**
   * A learned latent prior (model.prior "realnvp", models/prior.ts): latents from base
   * noise n ~ N(0, I), base noise of latents, and -log p(z) per row. Absent: the prior is
   * N(0, I) and base noise is the latent itself.
   */
  fromBase?(p: Params, n: tf.Tensor2D): tf.Tensor2D;
  toBase?(p: Params, z: tf.Tensor2D): tf.Tensor2D;
  priorNll?(p: Params, z: tf.Tensor2D): tf.Tensor1D;
  /**
   * A model trained by likelihood instead of the ELBO (model.kind "flow"): -log p(x) per
   * row; with `noise` [B, D] ~ N(0, I), of the dequantized x + dequantize·noise.
   */
  nll?(p: Params, x: tf.Tensor, noise?: tf.Tensor2D): tf.Tensor1D;
}
