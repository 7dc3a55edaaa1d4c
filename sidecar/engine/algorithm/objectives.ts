/**
 * The two training objectives of an EC-VAE iteration (docs/calibration.md, The algorithm, steps 4–6) and their
 * parameter gradients, as pure functions of (params, inputs). Every term is a mean over
 * the rows of the batch, so a batch split into shards is handled by weighting each
 * shard's objective by `scale` = its share of the rows: the shards' gradients (and terms)
 * then add up to the whole batch's. This is what lets the thread pool compute them
 * data-parallel (parallel/pool.ts).
 */
import { ebmLoss, sumSquaredPerExample, vaeTerms } from './losses.ts';
import { collectBufferUpdates } from '../models/buffers.ts';
import { noiseFrom } from '../models/noise.ts';
import { withFilterCache } from '../ops/filterCache.ts';
import { stopGradient } from '../ops/elementwise.ts';
import type { EcvaeModel } from '../models/index.ts';
import { valueAndParamGrads, type Params } from '../core/params.ts';
import * as tf from '../core/tf.ts';

export type ObjectiveKind = 'vae' | 'ebm';

/**
 * Inputs by name, all with the batch rows first:
 *  vae: x (data), eps (reparameterisation or dequantization noise), n (base noise of a prior draw), calStep
 *       (how far the SGLD chain moved the decoder's sample G(n): the calibrated target minus the chain's start;
 *       absent for a plain VAE), latentTarget (latent-Langevin-calibrated prior latents; optional),
 *       recNoise0.., calNoise0.. (a noise-injecting decoder's maps for its reconstruction and calibration passes; models/noise.ts)
 *  ebm: x (data), neg (SGLD negatives)
 */
export type ObjectiveInputs = Record<string, tf.Tensor>;

export interface ObjectiveOptions {
  /** Weight of the calibration term (VAE). */
  lambda: number;
  /** KL weight (VAE). */
  beta: number;
  /** E^2 regulariser (EBM). */
  regularization: number;
  /** Share of the batch's rows in these inputs (1 for the whole batch). */
  scale: number;
}

export interface ObjectiveResult {
  grads: Params;
  /** vae: [rec, kl, cal, priorNll, latentCal] (rec is the NLL for a flow); ebm: [mean E(data), mean E(neg), loss]; each times `scale`. */
  terms: tf.Tensor1D;
  /**
   * New values of the buffers this pass updated (BatchNorm running statistics, spectral
   * norm vectors; models/buffers.ts), each times `scale`: summed over shards they are the
   * row-weighted mean of the shards' updates. Empty for models without buffers.
   */
  updates: Params;
}

function vaeObjective(model: EcvaeModel, p: Params, i: ObjectiveInputs, o: ObjectiveOptions): { loss: tf.Scalar; terms: tf.Tensor1D } {
  const n = i.n as tf.Tensor2D;
  // A flow (model.kind "flow") is trained by its likelihood; eps dequantizes the data. Otherwise the ELBO.
  const { rec, kl, mu } = model.nll
    ? { rec: model.nll(p, i.x!, i.eps as tf.Tensor2D).mean() as tf.Scalar, kl: tf.scalar(0), mu: undefined }
    : vaeTerms(model, p, i.x!, i.eps as tf.Tensor2D, noiseFrom(i, 'recNoise'));
  // The decoder is calibrated on prior samples; a learned prior only supplies their latents here (its own term is below).
  const latents = model.fromBase ? stopGradient(model.fromBase(p, n)) : n;
  // The official code decodes G(n) once: the chain starts from that pass (detached) and
  // the calibration loss pulls the same pass toward the chain's end. Here the chain ran on
  // a decode of its own, so the target is stated relative to this pass: G(n) is pulled
  // toward sg(G(n)) + calStep. The value is |calStep|² and the gradient -2·calStep·dG, as
  // the official loss; an absolute target would add whatever differs between the two
  // decodes (spectral norm's state, BatchNorm statistics over one thread's rows) to cal.
  const g = i.calStep ? model.decode(p, latents, noiseFrom(i, 'calNoise')) : undefined;
  const cal = g ? sumSquaredPerExample(g.sub(stopGradient(g)), i.calStep!) : tf.scalar(0);
  // A flow prior is fitted on the encoder means, held fixed for it, and pulled toward the calibrated latents.
  const priorNll = model.priorNll && mu ? model.priorNll(p, stopGradient(mu)).mean() : tf.scalar(0);
  const latentCal = model.fromBase && i.latentTarget ? sumSquaredPerExample(model.fromBase(p, n), i.latentTarget) : tf.scalar(0);
  let loss = rec.add(kl.mul(o.beta)).add(priorNll);
  if (i.calStep && o.lambda !== 0) loss = loss.add(cal.mul(o.lambda));
  if (i.latentTarget && o.lambda !== 0) loss = loss.add(latentCal.mul(o.lambda));
  return { loss: loss.mul(o.scale) as tf.Scalar, terms: tf.stack([rec, kl, cal, priorNll, latentCal]).mul(o.scale) as tf.Tensor1D };
}

function ebmObjective(model: EcvaeModel, p: Params, i: ObjectiveInputs, o: ObjectiveOptions): { loss: tf.Scalar; terms: tf.Tensor1D } {
  const ePos = model.energy(p, i.x!);
  const eNeg = model.energy(p, i.neg!);
  const loss = ebmLoss(ePos, eNeg, o.regularization);
  return { loss: loss.mul(o.scale) as tf.Scalar, terms: tf.stack([ePos.mean(), eNeg.mean(), loss]).mul(o.scale) as tf.Tensor1D };
}

/** Gradients of the `kind` objective with respect to `params`, and its terms for logging. */
export function objectiveGrads(model: EcvaeModel, kind: ObjectiveKind, params: Params, inputs: ObjectiveInputs, o: ObjectiveOptions): ObjectiveResult {
  const objective = kind === 'vae' ? vaeObjective : ebmObjective;
  let terms: tf.Tensor1D | undefined;
  // Only the parameters are differentiated: the ops' gradients with respect to the inputs
  // (data, negatives, noise) are pruned by the tape and never run (ops/policy.ts).
  // The filters are fixed during the pass, so their transforms (forward and flipped) are
  // made once for all the passes through a layer (the decoder's two, the energy's on data
  // and negatives; filterCache.ts).
  const { result, updates } = collectBufferUpdates(() =>
    withFilterCache(() =>
      valueAndParamGrads(params, (p) => {
        const r = objective(model, p, inputs, o);
        terms = tf.keep(r.terms);
        return r.loss;
      }),
    ),
  );
  result.value.dispose();
  if (o.scale !== 1)
    for (const [k, t] of Object.entries(updates)) {
      updates[k] = t.mul(o.scale);
      t.dispose();
    }
  return { grads: result.grads, terms: terms!, updates };
}
