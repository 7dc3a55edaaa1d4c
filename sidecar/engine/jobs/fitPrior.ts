/**
 * Post-hoc flow prior (docs/flows.md, use 1): fits a RealNVP prior to the encoder means
 * of a finished VAE or EC-VAE run, with the encoder, decoder and energy left as they are,
 * and writes the result as a new run folder whose config has model.prior "realnvp". Every
 * consumer of run folders (sample, eval, compare, restore, the Runs tree, a later
 * `train --resume` that goes on fitting jointly) then uses it like a jointly fitted prior.
 * The fit is maximum likelihood on minibatches of the means, with a tenth held out to
 * show overfitting. It is short (minutes at most on 8-d latents), so it is not resumable
 * itself: its checkpoint is written last and atomically, and a fit stopped before that
 * leaves a folder without a checkpoint, which a rerun overwrites.
 */
import { existsSync } from 'node:fs';
import { READ_LIMITS, readGuarded } from '../../runLayout/guardedRead.ts';
import { writeFileAtomic } from '../store/atomic.ts';
import { claimOutputFolder, removeStaleTemps } from '../store/outputFolder.ts';
import { dirname, join, resolve } from 'node:path';
import { adamInit, adamStep, disposeAdam, type AdamState } from '../algorithm/adam.ts';
import { cooperativePause } from '../core/cancel.ts';
import { readCheckpoint, resolveCheckpoint, saveCheckpoint, stateFromCheckpoint } from '../store/checkpoint.ts';
import type { RunConfig } from '../config/config.ts';
import { batchIndices, exampleSize, loadDataset, type Dataset } from '../data/index.ts';
import { applyBufferUpdates, collectBufferUpdates } from '../models/buffers.ts';
import { buildModel, type EcvaeModel } from '../models/index.ts';
import { standardNormalNll } from '../models/realnvp.ts';
import { writeSamples } from '../store/pictures.ts';
import { disposeParams, initParams, valueAndParamGrads, type Params } from '../core/params.ts';
import { deriveSeed, permutation, Stream } from '../core/rng.ts';
import { RunError, sampleGrid } from './run.ts';
import { runFiles, samplePath } from '../../runLayout/runFolder.ts';
import { acquireRunLock, prepareRunFolder, writeStatus } from '../store/runWriter.ts';
import { generate, inChunksAsync } from '../algorithm/sample.ts';
import { disposeTrainState } from '../algorithm/trainer.ts';
import * as tf from '../core/tf.ts';

export interface FitPriorOptions {
  /** Output run folder; default: the source folder's sibling `<name>-flowprior`. */
  outDir?: string;
  iterations: number;
  batchSize: number;
  learningRate: number;
  onLog?(message: string): void;
  /** Aborting stops the fit between steps (CancelledError); nothing is written. */
  signal?: AbortSignal;
}

export { FIT_PRIOR_DEFAULTS } from './fitPriorDefaults.ts';

export interface FitPriorResult {
  runDir: string;
  checkpoint: string;
  /** The fitting step whose prior was kept: the best on the held-out means (checked every 100 steps and at the end). */
  step: number;
  /** Mean −log p(μ) of the training and held-out means at that step (nats; lower is better). */
  trainNll: number;
  heldOutNll: number;
  /** The same for the N(0, I) prior the run had: what the flow has to beat. */
  gaussianHeldOutNll: number;
}

/** The encoder means of every training example, [N, latentDim]. */
async function encoderMeans(model: EcvaeModel, vae: Params, d: Dataset, pause: () => Promise<void>): Promise<tf.Tensor2D> {
  const e = exampleSize(d);
  return (await inChunksAsync(
    d.size,
    (i, m) => tf.tidy(() => model.encode(vae, tf.tensor(d.x.subarray(i * e, (i + m) * e), [m, ...d.shape])).mu),
    pause,
  )) as tf.Tensor2D;
}

const meanNll = (model: EcvaeModel, p: Params, z: tf.Tensor2D): number => tf.tidy(() => model.priorNll!(p, z).mean().dataSync()[0]!);

export async function fitPrior(source: string, o: FitPriorOptions): Promise<FitPriorResult> {
  const log = (m: string): void => o.onLog?.(m);
  const file = resolveCheckpoint(source);
  const ck = readCheckpoint(file);
  const config = ck.header.config;
  if (config.model.kind === 'flow') throw new RunError(`${source} is a normalizing flow (model.kind "flow"): it has no latent prior to fit.`);
  if (config.model.prior === 'realnvp') throw new RunError(`${source} already has a flow prior (model.prior "realnvp"), fitted while it trained.`);
  const fitted: RunConfig = { ...config, name: `${config.name}-flowprior`, model: { ...config.model, prior: 'realnvp' } };
  const sourceDir = dirname(dirname(file)); // a checkpoint sits in <run>/checkpoints/
  const runDir = resolve(o.outDir ?? join(sourceDir, '..', fitted.name));
  // Refused before any work: a folder that is not new, empty or a run of ours, or a run that already has a checkpoint.
  const claim = claimOutputFolder(runDir, 'run', 'fit-prior');
  if (!claim.fresh && existsSync(join(runFiles(runDir).checkpoints, 'latest')))
    throw new RunError(`${runDir} already holds a run; choose another --out folder.`, runDir);

  const dataset = loadDataset(config.data, config.seed);
  const model = buildModel(fitted.model, ck.header.dataShape);
  const state = stateFromCheckpoint(ck);
  const priorSpecs = model.specs.dec.filter((s) => s.name.startsWith('prior.'));
  // The sidecar serves other requests (and cancellation) between chunks and steps.
  const pause = cooperativePause(o.signal, 'Fitting the prior');
  let all: tf.Tensor2D;
  try {
    all = await encoderMeans(model, state.vae, dataset, pause);
  } catch (err) {
    disposeTrainState(state);
    throw err;
  }
  let prior = initParams(priorSpecs, config.seed);
  let opt: AdamState = adamInit(prior);

  // A fixed tenth of the means is held out (at least one row), to show whether the flow generalises.
  const order = permutation(dataset.size, deriveSeed(config.seed, Stream.data, 0x9f));
  const heldCount = Math.max(1, Math.floor(dataset.size / 10));
  const [held, trainMeans] = tf.tidy(() => [
    tf.gather(all, Array.from(order.subarray(0, heldCount))),
    tf.gather(all, Array.from(order.subarray(heldCount))),
  ]) as [tf.Tensor2D, tf.Tensor2D];
  all.dispose();
  const nTrain = trainMeans.shape[0];
  if (nTrain < 2) throw new RunError(`${dataset.name} has too few examples to fit a prior on (${dataset.size}).`);
  const gaussianHeldOutNll = tf.tidy(() => standardNormalNll(held).mean().dataSync()[0]!);
  log(`fitting a RealNVP prior (${fitted.model.flow.blocks} blocks x ${fitted.model.flow.hidden}) on ${nTrain} encoder means of ${file}`);
  const curve: { iteration: number; trainNll: number; heldOutNll: number }[] = [];
  const batch = Math.min(o.batchSize, nTrain);
  // The flow overfits the means (MNIST, 8-d latents: held-out -log p best at ~500 steps, 0.9
  // nats worse by 2,000), so the parameters kept are those with the best held-out value.
  let best: Params = {};
  let bestNll = Infinity;
  let bestStep = 0;
  try {
    for (let t = 1; t <= o.iterations; t++) {
      await pause();
      const idx = Array.from(batchIndices(nTrain, batch, t, config.seed));
      const { result, updates } = collectBufferUpdates(() =>
        valueAndParamGrads(prior, (p) => model.priorNll!(p, tf.gather(trainMeans, idx)).mean() as tf.Scalar),
      );
      result.value.dispose();
      const next = adamStep(prior, result.grads, opt, { lr: o.learningRate, beta1: 0.9, beta2: 0.999 });
      disposeParams(result.grads);
      applyBufferUpdates(next.params, updates);
      prior = next.params;
      opt = next.state;
      if (t % 100 === 0 || t === o.iterations) {
        await pause(); // the step and the held-out check are each long enough to count
        const r = { iteration: t, trainNll: meanNll(model, prior, trainMeans), heldOutNll: meanNll(model, prior, held) };
        if (!Number.isFinite(r.trainNll) || !Number.isFinite(r.heldOutNll)) throw new RunError(`The prior fit diverged at step ${t}; lower --learning-rate.`);
        curve.push(r);
        if (r.heldOutNll < bestNll) {
          disposeParams(best);
          best = Object.fromEntries(Object.entries(prior).map(([k, v]) => [k, v.clone()]));
          bestNll = r.heldOutNll;
          bestStep = t;
        }
        log(`step ${t}/${o.iterations}  -log p(μ) ${r.trainNll.toFixed(3)}  held-out ${r.heldOutNll.toFixed(3)}  (N(0, I): ${gaussianHeldOutNll.toFixed(3)})`);
      }
    }
    log(`kept the prior of step ${bestStep} (best held-out -log p(μ) ${bestNll.toFixed(3)})`);
    // The fitted run: the source's parameters and optimiser moments, plus the prior's (now owned by state).
    Object.assign(state.vae, best);
    best = {};
    Object.assign(state.vaeOpt.m, opt.m);
    Object.assign(state.vaeOpt.v, opt.v);
    disposeParams(prior);
    prior = {};
    opt = { t: 0, m: {}, v: {} };
    const release = acquireRunLock(runDir, (m) => log(`note: ${m}`));
    try {
      claimOutputFolder(runDir, 'run', 'fit-prior');
      removeStaleTemps(runDir);
      return writeFitted();
    } finally {
      release();
    }
  } finally {
    tf.dispose([held, trainMeans]);
    disposeTrainState(state);
    disposeParams(prior);
    disposeParams(best);
    disposeAdam(opt);
  }

  function writeFitted(): FitPriorResult {
    prepareRunFolder(runDir, fitted, true);
    const metrics = runFiles(sourceDir).metrics;
    if (existsSync(metrics))
      writeFileAtomic(runFiles(runDir).metrics, [readGuarded(metrics, { what: 'metrics file', kind: 'run', maxBytes: READ_LIMITS.metrics })]);
    const grid = sampleGrid(dataset, fitted.logging.sampleCount);
    const samples = generate(model, state.vae, grid.n, config.seed);
    writeSamples(samplePath(runDir, state.iteration, 'one-step'), model.dataShape, samples, grid.reference);
    samples.dispose();
    writeFileAtomic(join(runDir, 'fit-prior.json'), [
      Buffer.from(
        JSON.stringify({ source: file, iterations: o.iterations, batchSize: batch, learningRate: o.learningRate, gaussianHeldOutNll, curve }, null, 2) + '\n',
      ),
    ]);
    const checkpoint = saveCheckpoint(runDir, state, fitted, ck.header.dataShape, fitted.logging.keepCheckpoints);
    writeStatus(runDir, { status: 'finished', iteration: state.iteration, total: state.iteration });
    const kept = curve.find((c) => c.iteration === bestStep)!;
    return { runDir, checkpoint, step: bestStep, trainNll: kept.trainNll, heldOutNll: kept.heldOutNll, gaussianHeldOutNll };
  }
}
