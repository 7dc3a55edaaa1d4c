/**
 * Priors and flows built from the RealNVP of realnvp.ts (docs/flows.md):
 *  - withFlowPrior: a VAE whose latents come from a flow F⁻¹(n), n ~ N(0, I), instead of
 *    N(0, I). The flow's parameters sit with the decoder's (`prior.*`) and are fitted by
 *    maximum likelihood on the encoder means, which are held fixed for it (objectives.ts).
 *  - flowModel: a normalizing flow as the generator (model.kind "flow"): x = F⁻¹(n),
 *    trained by its likelihood, with the energy of the matching VAE family.
 * The paper's losses for these extensions could not be retrieved; these are our reading.
 */
import * as tf from '../core/tf.ts';
import type { Params } from '../core/params.ts';
import { clip } from '../ops/elementwise.ts';
import type { EcvaeModel } from './types.ts';
import { realNvp, type FlowArch } from './realnvp.ts';

export function withFlowPrior(m: EcvaeModel, a: Omit<FlowArch, 'dim'>): EcvaeModel {
  const prior = realNvp('prior', { ...a, dim: m.latentDim });
  return {
    ...m,
    specs: { ...m.specs, dec: [...m.specs.dec, ...prior.specs] },
    fromBase: (p, n) => prior.inverse(p, n),
    toBase: (p, z) => prior.forward(p, z).y,
    priorNll: (p, z) => prior.nll(p, z),
  };
}

/**
 * The flow over flattened examples. Its "latent" is the base noise of the whole example,
 * so sampling, MCMC refinement, restoration and `compare` use it like a decoder:
 * decode(n) = F⁻¹(n), encode(x) = F(x) (with zero log-variance: the map is exact).
 */
export function flowModel(energyOf: EcvaeModel, a: Omit<FlowArch, 'dim'>, dequantize: number): EcvaeModel {
  const shape = energyOf.dataShape;
  const dim = shape.reduce((x, y) => x * y, 1);
  const flow = realNvp('flow', { ...a, dim });
  const flat = (x: tf.Tensor): tf.Tensor2D => x.reshape([x.shape[0]!, dim]);
  return {
    kind: 'flow',
    dataShape: shape,
    latentDim: dim,
    specs: { enc: [], dec: flow.specs, ebm: energyOf.specs.ebm },
    encode(p, x) {
      const { y } = flow.forward(p, flat(x));
      return { mu: y, logvar: tf.zerosLike(y) };
    },
    // Clipped to the data's range [-1, 1], where every decoder's tanh puts its samples
    // (types.ts). An unclipped MNIST flow put 29% of its sample pixels outside it (up to
    // |x| = 19); the energy, never shown data there, rated such negatives far below the
    // data (min E -54 vs E(data) -24), and that runaway ended a calibrated flow (docs/flows.md).
    decode: (p, z) => clip(flow.inverse(p, z), -1, 1).reshape([z.shape[0], ...shape]),
    energy: energyOf.energy,
    nll: (p, x, noise) => flow.nll(p, noise && dequantize > 0 ? flat(x).add(noise.mul(dequantize)) : flat(x)),
  };
}

/** A sample from base noise n: one decoder pass on the prior's latent F⁻¹(n) where the model has a learned prior (a flow: its own F⁻¹(n)). */
export function generateFrom(m: EcvaeModel, p: Params, n: tf.Tensor2D, noise?: tf.Tensor4D[]): tf.Tensor {
  return m.decode(p, m.fromBase ? m.fromBase(p, n) : n, noise);
}
