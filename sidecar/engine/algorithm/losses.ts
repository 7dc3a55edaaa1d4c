/** The EC-VAE objective terms (docs/calibration.md, The algorithm), as pure tensor functions. */
import * as tf from '../core/tf.ts';
import type { EcvaeModel } from '../models/index.ts';
import type { Params } from '../core/params.ts';

/** Sum of squared differences per batch element, averaged over the batch: sum((a-b)^2)/B. */
export function sumSquaredPerExample(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.squaredDifference(a, b).sum().div(a.shape[0]!) as tf.Scalar;
}

/** KL(q(z|x) || N(0, I)) summed over latent dims, averaged over the batch. */
export function klStandardNormal(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Scalar {
  const terms = tf.scalar(1).add(logvar).sub(mu.square()).sub(logvar.exp());
  return terms.sum().mul(-0.5).div(mu.shape[0]) as tf.Scalar;
}

/**
 * Reconstruction and KL terms of the ELBO with the reparameterisation z = mu + exp(logvar/2)·eps.
 * `eps` (and a noise-injecting decoder's `noise`) is passed in so that the draw is reproducible and testable.
 */
export function vaeTerms(
  model: EcvaeModel,
  p: Params,
  x: tf.Tensor,
  eps: tf.Tensor2D,
  noise?: tf.Tensor4D[],
): { rec: tf.Scalar; kl: tf.Scalar; mu: tf.Tensor2D } {
  const { mu, logvar } = model.encode(p, x);
  const z = mu.add(logvar.mul(0.5).exp().mul(eps)) as tf.Tensor2D;
  return { rec: sumSquaredPerExample(model.decode(p, z, noise), x), kl: klStandardNormal(mu, logvar), mu };
}

/** Contrastive energy loss: mean E(data) - mean E(neg) + alpha·mean(E(data)^2 + E(neg)^2). */
export function ebmLoss(ePos: tf.Tensor1D, eNeg: tf.Tensor1D, alpha: number): tf.Scalar {
  const cd = ePos.mean().sub(eNeg.mean());
  if (alpha === 0) return cd as tf.Scalar;
  return cd.add(ePos.square().add(eNeg.square()).mean().mul(alpha)) as tf.Scalar;
}
