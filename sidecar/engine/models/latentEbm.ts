/**
 * The official latent-space energy (models/res.py latent_ebm): an MLP on the latent code,
 *   SN-Linear(Z, 512), ReLU, SN-Linear(512, 512), ReLU, SN-Linear(512, 512), ReLU,
 *   SN-Linear(512, 1), clamped to [-1, 1],
 * every linear spectrally normalised (one power iteration per training pass) and
 * initialised N(0, 0.02²) with zero biases (initialize_weights). The energy the
 * latent-space sampler refines prior latents with; `hidden` scales by widthFactor as the
 * presets do. Outside [-1, 1] the clamp passes no gradient, as torch.clamp.
 */
import * as tf from '../core/tf.ts';
import { leakyRelu } from '../ops/elementwise.ts';
import type { ParamSpec, Params } from '../core/params.ts';
import { INIT_002, Net } from './net.ts';

/** latent_ebm's hidden width. */
export const LATENT_EBM_HIDDEN = 512;
export const LATENT_EBM_LAYERS = 4;

export interface LatentEnergyModel {
  latentDim: number;
  specs: ParamSpec[];
  /** Per-row energy [B] of latents [B, Z], in [-1, 1]. */
  energy(p: Params, z: tf.Tensor2D): tf.Tensor1D;
}

export function latentEbmModel(o: { latentDim: number; widthFactor?: number; spectralNorm?: boolean }): LatentEnergyModel {
  const hidden = Math.max(1, Math.round(LATENT_EBM_HIDDEN * (o.widthFactor ?? 1)));
  const widths = [o.latentDim, hidden, hidden, hidden, 1];
  const net = new Net(o.spectralNorm ?? true);
  const layers = Array.from({ length: LATENT_EBM_LAYERS }, (_, i) => net.dense(`lebm.${i}`, widths[i]!, widths[i + 1]!, { init: INIT_002 }));

  function energy(p: Params, z: tf.Tensor2D): tf.Tensor1D {
    let h = z;
    layers.forEach((layer, i) => {
      h = layer(p, h);
      if (i < LATENT_EBM_LAYERS - 1) h = leakyRelu(h, 0);
    });
    return h.clipByValue(-1, 1).reshape([-1]) as tf.Tensor1D;
  }
  return { latentDim: o.latentDim, specs: net.specs, energy };
}
