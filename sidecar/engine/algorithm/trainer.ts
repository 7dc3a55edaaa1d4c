/**
 * One EC-VAE training iteration (docs/calibration.md, The algorithm, steps 1–7) on explicit state. No I/O here: the
 * run loop (run.ts) owns files, logging and checkpoints.
 */
import * as tf from '../core/tf.ts';
import { learningRateFactor } from './schedule.ts';
import { adamInit, adamStep, clipByGlobalNorm, disposeAdam, type AdamState } from './adam.ts';
import type { RunConfig } from '../config/config.ts';

/**
 * What the algorithm reads of a run config: the seed, the training settings and the
 * calibration settings (not the data, the model's shape, logging, output or backend).
 */
export type AlgorithmOptions = Pick<RunConfig, 'seed' | 'training' | 'calibration'>;
import { updateLambda } from './dual.ts';
import { applyBufferUpdates } from '../models/buffers.ts';
import { drawDecoderNoise, noiseInputs } from '../models/noise.ts';
import { advancedSpectralNorms } from '../models/paperLayers.ts';
import type { EcvaeModel } from '../models/index.ts';
import { disposeParams, initParams, type Params } from '../core/params.ts';
import { deriveSeed, Stream } from '../core/rng.ts';
import { localRunner, type Runner } from '../parallel/pool.ts';
import { sgldOptions } from './sgld.ts';
import { latentChain } from './latentChain.ts';

export interface TrainState {
  iteration: number;
  lambda: number;
  /** Encoder + decoder parameters. */
  vae: Params;
  /** Energy model parameters; absent when calibration is disabled (plain VAE). */
  ebm?: Params;
  vaeOpt: AdamState;
  ebmOpt?: AdamState;
}

export interface IterationMetrics {
  iteration: number;
  rec: number;
  kl: number;
  elbo: number;
  /** Calibration-only terms are absent for a plain VAE. */
  cal?: number;
  /**
   * What the constraint measures, compared with calibration.epsilon: cal / D with
   * distance "drift" (per dimension, no noise in it), cal itself with "chain".
   */
  calDistance?: number;
  /** The constraint level calibration.epsilon, logged beside calDistance for charts and replays. */
  epsilon?: number;
  /** Mean over rows of ||drift|| (the energy's pull) and ||noise|| (the injected Langevin noise) of the calibration chains. */
  drift?: number;
  noise?: number;
  eData?: number;
  eNeg?: number;
  ebmLoss?: number;
  /** A flow prior (model.prior "realnvp"): its -log p of the encoder means, and the latent calibration distance. */
  priorNll?: number;
  latentCal?: number;
  /** Global L2 norm of the generator's gradient before clipping (training.gradClipNorm). */
  gradNorm?: number;
  /** The VAE's learning rate this iteration: training.vaeLearningRate, annealed by training.lrDecay. */
  vaeLr?: number;
  lambda: number;
}

/** The generator objective's scalars (objectives.ts), in the order it returns them. */
const GENERATOR_TERMS = ['rec', 'kl', 'cal', 'priorNll', 'latentCal'] as const;
/** The energy objective's scalars, then the calibration chains' statistics. */
const ENERGY_TERMS = ['eData', 'eNeg', 'ebmLoss'] as const;
const CHAIN_STATS = ['drift', 'noise'] as const;

export class DivergenceError extends Error {
  constructor(
    readonly iteration: number,
    readonly values: Record<string, number>,
  ) {
    const bad = Object.entries(values)
      .filter(([, v]) => !Number.isFinite(v))
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    super(
      `Training diverged at iteration ${iteration}: ${bad}. Lower training.vaeLearningRate / ebmLearningRate or calibration.sgldStepSize, or raise training.ebmRegularization; resume starts from the last good checkpoint.`,
    );
    this.name = 'DivergenceError';
  }
}

export function initTrainState(model: EcvaeModel, cfg: Pick<AlgorithmOptions, 'seed' | 'calibration'>): TrainState {
  const vae = initParams([...model.specs.enc, ...model.specs.dec], cfg.seed);
  const state: TrainState = { iteration: 0, lambda: cfg.calibration.enabled ? cfg.calibration.lambdaInit : 0, vae, vaeOpt: adamInit(vae) };
  if (cfg.calibration.enabled) {
    state.ebm = initParams(model.specs.ebm, cfg.seed);
    state.ebmOpt = adamInit(state.ebm);
  }
  return state;
}

export function disposeTrainState(s: TrainState): void {
  disposeParams(s.vae);
  disposeAdam(s.vaeOpt);
  if (s.ebm) disposeParams(s.ebm);
  if (s.ebmOpt) disposeAdam(s.ebmOpt);
}

/**
 * Runs one iteration on the batch `x` and advances `state` in place (its tensors are
 * replaced, old ones disposed). Throws DivergenceError when a loss is not finite.
 * `runner` computes the SGLD chains and the gradients: in this thread by default, or
 * data-parallel across threads (parallel/pool.ts) with the same result up to rounding.
 */
export async function trainIteration(
  model: EcvaeModel,
  cfg: AlgorithmOptions,
  state: TrainState,
  x: tf.Tensor,
  runner: Runner = localRunner(model),
): Promise<IterationMetrics> {
  const t = state.iteration + 1;
  const B = x.shape[0]!;
  const Z = model.latentDim;
  const tr = cfg.training;
  const calibrate = cfg.calibration.enabled && state.ebm !== undefined;
  const ebm = state.ebm;

  const eps = tf.randomNormal([B, Z], 0, 1, 'float32', deriveSeed(cfg.seed, t, Stream.reparam)) as tf.Tensor2D;
  // A noise-injecting decoder's maps (models/noise.ts), one set per decoder pass as the
  // official code draws them: reconstruction, the calibration pass (shared by the chain's
  // start: one pass), the negatives' start.
  const [recNoise, calNoise, negNoise] = [0, 1, 2].map((k) => drawDecoderNoise(model, B, deriveSeed(cfg.seed, t, Stream.decoderNoise, k)));
  const n = tf.randomNormal([B, Z], 0, 1, 'float32', deriveSeed(cfg.seed, t, Stream.prior)) as tf.Tensor2D;

  // Steps 2–3: calibrated targets x~ = SGLD(G(n)), with G held fixed, passed on as the
  // chain's step x~ - G(n) (objectives.ts states the target relative to the objective's own
  // decode). With distance "drift" the step leaves the injected noise out: the drift. Its
  // expectation is the paper's (the noise has mean zero), so the gradient is the same in
  // expectation with less variance, and cal no longer carries the noise floor K·D·eta·s^2.
  let calStep: tf.Tensor | undefined;
  let chainStats: tf.Tensor | undefined;
  let latentTarget: tf.Tensor | undefined;
  let sharedNeg: tf.Tensor | undefined;
  if (calibrate) {
    const r = await runner.sgldFromPrior(ebm!, state.vae, n, sgldOptions(cfg, cfg.calibration.sgldSteps, deriveSeed(cfg.seed, t, Stream.sgldVae)), calNoise);
    const s = r.start;
    calStep = cfg.calibration.distance === 'drift' ? r.drift.clone() : r.x.sub(s);
    chainStats = tf.tidy(() => tf.stack([rowNorms(r.drift).mean(), rowNorms(r.x.sub(s).sub(r.drift)).mean()]));
    s.dispose();
    // calibration.shareChain: this chain's end is also the energy's negative (step 6).
    if (cfg.calibration.shareChain) sharedNeg = r.x;
    else r.x.dispose();
    r.drift.dispose();
    advanceSpectralNorms(ebm!, cfg.calibration.sgldSteps);
    if (cfg.calibration.latentPrior && model.fromBase) latentTarget = calibratedLatents(model, cfg, state, n, t);
  }

  // Steps 1, 4, 5: VAE update on lambda·cal + rec + beta·kl (+ the flow prior's terms, objectives.ts).
  const lambda = state.lambda;
  const objective = { lambda, beta: tr.beta, regularization: tr.ebmRegularization };
  const inputs = {
    x,
    eps,
    n,
    ...(calStep ? { calStep } : {}),
    ...(latentTarget ? { latentTarget } : {}),
    ...noiseInputs('recNoise', recNoise),
    ...noiseInputs('calNoise', calNoise),
  };
  const { grads: rawGrads, terms: scalars, updates: vaeUpdates } = await runner.grads('vae', state.vae, inputs, objective);
  const { grads: vaeGrads, norm: gradNorm } = clipByGlobalNorm(rawGrads, gradClipNorm(cfg));
  const vaeLr = tr.vaeLearningRate * learningRateFactor(t, tr.iterations, tr.lrDecay);
  const vaeNext = adamStep(state.vae, vaeGrads, state.vaeOpt, {
    lr: vaeLr,
    beta1: tr.adamBeta1,
    beta2: tr.adamBeta2,
  });
  disposeParams(vaeGrads);
  // Buffers get a zero gradient, so Adam left them as they were: write the pass's updates.
  applyBufferUpdates(vaeNext.params, vaeUpdates);
  state.vae = vaeNext.params;
  state.vaeOpt = vaeNext.state;
  calStep?.dispose();
  latentTarget?.dispose();

  // Step 6: EBM update with negatives from SGLD on the updated decoder's samples, or
  // (calibration.shareChain) the calibration chain's end, made before the VAE's update.
  let ebmScalars: tf.Tensor | undefined;
  if (calibrate && ebm && state.ebmOpt) {
    const neg = sharedNeg ?? (await negatives(cfg, state, n, t, runner, negNoise));
    const { grads: ebmGrads, terms, updates } = await runner.grads('ebm', ebm, { x, neg }, objective);
    ebmScalars = terms;
    neg.dispose();
    const ebmNext = adamStep(ebm, ebmGrads, state.ebmOpt, { lr: tr.ebmLearningRate, beta1: tr.adamBeta1, beta2: tr.adamBeta2 });
    disposeParams(ebmGrads);
    applyBufferUpdates(ebmNext.params, updates);
    state.ebm = ebmNext.params;
    state.ebmOpt = ebmNext.state;
  }
  eps.dispose();
  n.dispose();
  tf.dispose([...(recNoise ?? []), ...(calNoise ?? []), ...(negNoise ?? [])]);

  // One read-back per iteration for all scalars.
  const all = tf.tidy(() => tf.concat([scalars, ...(ebmScalars && chainStats ? [ebmScalars, chainStats] : []), gradNorm.reshape([1])]));
  const v = all.dataSync();
  all.dispose();
  scalars.dispose();
  gradNorm.dispose();
  ebmScalars?.dispose();
  chainStats?.dispose();

  // The scalars by name, in the order they were concatenated.
  let at = 0;
  const take = <K extends string>(names: readonly K[]): Record<K, number> => Object.fromEntries(names.map((k) => [k, v[at++]!])) as Record<K, number>;
  const { rec, kl, cal, priorNll, latentCal } = take(GENERATOR_TERMS);
  const energy = ebmScalars && chainStats ? { ...take(ENERGY_TERMS), ...take(CHAIN_STATS) } : undefined;
  const { gradNorm: gradNormValue } = take(['gradNorm'] as const);
  if (at !== v.length) throw new Error(`trainIteration: read ${at} scalars of ${v.length}`);
  const m: IterationMetrics = { iteration: t, rec, kl, elbo: rec + tr.beta * kl, gradNorm: gradNormValue, vaeLr, lambda };
  if (model.priorNll) Object.assign(m, { priorNll, ...(latentTarget ? { latentCal } : {}) });
  const c = cfg.calibration;
  const calDistance = c.distance === 'drift' ? cal / (x.size / B) : cal;
  if (calibrate && energy) Object.assign(m, { cal, calDistance, epsilon: c.epsilon, ...energy });
  const check: Record<string, number> = { rec, kl, priorNll, latentCal };
  if (calibrate && energy) Object.assign(check, { cal, eData: energy.eData, eNeg: energy.eNeg });
  if (Object.values(check).some((x) => !Number.isFinite(x))) throw new DivergenceError(t, check);

  // Step 7: dual ascent on the constraint calDistance <= epsilon.
  if (calibrate) {
    state.lambda = updateLambda(lambda, calDistance, {
      learningRate: c.lambdaLearningRate,
      epsilon: c.epsilon,
      max: c.lambdaMax,
      relative: c.distance === 'drift',
    });
  }
  state.iteration = t;
  return m;
}

/** The energy's negatives: a fresh chain from the updated decoder's samples G(n), as the official code. */
async function negatives(
  cfg: AlgorithmOptions,
  state: TrainState,
  n: tf.Tensor2D,
  t: number,
  runner: Runner,
  noise: tf.Tensor4D[] | undefined,
): Promise<tf.Tensor> {
  const { x, drift, start } = await runner.sgldFromPrior(
    state.ebm!,
    state.vae,
    n,
    sgldOptions(cfg, cfg.calibration.sgldSteps, deriveSeed(cfg.seed, t, Stream.sgldEbm)),
    noise,
  );
  tf.dispose([start, drift]);
  // The official code's passes that this iteration has no counterpart of: one energy pass per chain step, and its no-grad decode of the negatives' start.
  advanceSpectralNorms(state.ebm!, cfg.calibration.sgldSteps);
  advanceSpectralNorms(state.vae, 1);
  return x;
}

/** The generator's gradient-norm limit (training.gradClipNorm), undefined when off. */
function gradClipNorm(cfg: AlgorithmOptions): number | undefined {
  const c = cfg.training.gradClipNorm;
  return c === 'off' ? undefined : c;
}

/**
 * The calibrated latent prior's targets: prior latents z = F⁻¹(n) moved by Langevin steps
 * on E(G(z)) (the official code's sgld_z with its look-ahead, with our chain settings; no
 * proximity term in latent space). With distance "drift" the target leaves the injected
 * noise out, as the decoder's target does.
 */
function calibratedLatents(model: EcvaeModel, cfg: AlgorithmOptions, state: TrainState, n: tf.Tensor2D, t: number): tf.Tensor {
  const z0 = tf.tidy(() => model.fromBase!(state.vae, n));
  const decode = (z: tf.Tensor2D): tf.Tensor => model.decode(state.vae, z);
  const energy = (x: tf.Tensor): tf.Tensor1D => model.energy(state.ebm!, x);
  // sgld_z as the official code runs it: no prior term, with its look-ahead (latentChain.ts).
  // The chain differentiates with respect to the latents only: no parameter gradient runs.
  const o = { ...sgldOptions(cfg, cfg.calibration.sgldSteps, deriveSeed(cfg.seed, t, Stream.sgldLatent)), prior: false };
  const r = latentChain(decode, energy, z0, o);
  const out = cfg.calibration.distance === 'drift' ? z0.add(r.drift) : r.x.clone();
  [z0, r.x, r.drift].forEach((d) => d.dispose());
  return out;
}

/** Euclidean norm of each row (all axes but the first). */
function rowNorms(x: tf.Tensor): tf.Tensor1D {
  return x
    .square()
    .sum(x.shape.slice(1).map((_, i) => i + 1))
    .sqrt() as tf.Tensor1D;
}

/**
 * Advances spectral norm's power iteration of every spectrally normalised layer in `p` by
 * `iterations`, in place. torch's spectral_norm runs one iteration on every training-mode
 * forward pass, the official SGLD chains' included (15 per chain); here a chain's energy
 * passes keep the vectors fixed (they run without buffer collection, and each thread runs
 * only some rows), so the trainer catches up after each chain: 2·K + 2 iterations of the
 * energy per training iteration, as the official code, instead of 2. Within a chain the
 * weight stays the one of the chain's first step (the official one moves by one
 * iteration per step: a change of second order once the vectors have converged).
 */
function advanceSpectralNorms(p: Params, iterations: number): void {
  if (iterations <= 0) return;
  const updates = advancedSpectralNorms(p, iterations);
  if (Object.keys(updates).length) applyBufferUpdates(p, updates);
}
