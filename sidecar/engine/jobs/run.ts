/**
 * A training run around the pure iteration of trainer.ts, in three parts: opening it
 * (openRun.ts: resume, backend, data, model, state), the loop (here: iterations until the
 * target or a stop request, paused on request) and recording it (recorder.ts: metrics,
 * sample grids, checkpoints, status, divergence). Used by the CLI and the sidecar alike;
 * reports through callbacks, never prints.
 */
import { resolve, join } from 'node:path';
import { CalibrationWatch } from '../algorithm/probe.ts';
import { disposeTrainState, trainIteration, type IterationMetrics } from '../algorithm/trainer.ts';
import type { RunConfig } from '../config/config.ts';
import * as tf from '../core/tf.ts';
import { trainingBatch } from '../data/index.ts';
import { Pool } from '../parallel/pool.ts';
import { claimOutputFolder, removeStaleTemps } from '../store/outputFolder.ts';
import type { RunStatus } from '../../runLayout/runFolder.ts';
import { acquireRunLock } from '../store/runWriter.ts';
import { openRun, type OpenedRun } from './openRun.ts';
import { RunRecorder } from './recorder.ts';
import type { TrainOptions, TrainResult } from './runTypes.ts';

export type { MetricsRecord, RunStatus } from '../../runLayout/runFolder.ts';
export { RunError, type RunEvents, type TrainOptions, type TrainResult } from './runTypes.ts';
export { datasetFingerprint } from './openRun.ts';
export { sampleGrid } from './recorder.ts';

/**
 * Trains (or resumes) a run to its iteration target, holding the run folder's writer lock
 * throughout. Resolves with the outcome; throws RunError (or RunLockedError) for unusable input.
 */
export async function train(config: RunConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const log = (m: string): void => opts.events?.onLog?.(m);
  const runDir = resolve(opts.runDir ?? join(config.output.dir, config.name));
  // Refused at once, before any work, when the folder is not new, empty or a run of ours.
  claimOutputFolder(runDir, 'run', 'train');
  const release = acquireRunLock(runDir, (m) => log(`note: ${m}`));
  try {
    // Checked again under the lock (the folder may have changed in between), then the temp files a killed writer left.
    claimOutputFolder(runDir, 'run', 'train');
    for (const f of removeStaleTemps(runDir)) log(`note: removed ${f}, a temporary file left by an interrupted write`);
    return await trainLocked(config, opts, runDir, log);
  } finally {
    release();
  }
}

/** The run under its lock: opened, trained to its target, recorded. */
async function trainLocked(config: RunConfig, opts: TrainOptions, runDir: string, log: (m: string) => void): Promise<TrainResult> {
  const run = await openRun(config, opts, runDir, log);
  const recorder = new RunRecorder(runDir, config, run, opts.events ?? {}, log);
  const startIteration = run.state.iteration;
  const watch = CalibrationWatch.create(config, run.dataset, run.model, log);
  const pool = await Pool.create(run.model, config.model, run.backend.backend, run.threads);
  if (pool.threads > 1) log(`batch rows (SGLD chains and gradients) are split across ${pool.threads} threads`);
  let status: RunStatus;
  try {
    status = await trainLoop(config, opts, run, pool, (t, m) => recorder.afterIteration(t, m, (last) => run.state.ebm && watch?.observe(last, run.state.ebm)));
    recorder.finish(status, startIteration);
  } catch (err) {
    recorder.fail(err);
    throw err;
  } finally {
    disposeTrainState(run.state);
    watch?.dispose();
    await pool.close();
  }
  const done = run.state.iteration - startIteration;
  return {
    runDir,
    status,
    iteration: run.state.iteration,
    iterationsThisSession: done,
    ...(recorder.checkpoint ? { checkpoint: recorder.checkpoint } : {}),
    secPerIter: done ? (performance.now() - recorder.start) / 1000 / done : 0,
    ...(recorder.last ? { last: recorder.last } : {}),
    backend: run.backend,
    dataset: run.dataset.name,
    ...(run.resumeFile ? { resumedFrom: startIteration } : {}),
  };
}

/** Iterations until the target, a stop request or an error; each one's metrics go to `after`. */
async function trainLoop(
  config: RunConfig,
  opts: TrainOptions,
  run: OpenedRun,
  pool: Pool,
  after: (t: number, m: IterationMetrics) => void,
): Promise<RunStatus> {
  const { state, dataset, model } = run;
  // The learning-rate schedule anneals toward the run's target, which --iterations may set
  // apart from the config's training.iterations (a short look, or a run trained further).
  const algorithm = { ...config, training: { ...config.training, iterations: run.total } };
  while (state.iteration < run.total) {
    await opts.waitWhilePaused?.();
    if (opts.signal?.aborted) return 'stopped';
    const t = state.iteration + 1;
    const x = tf.tensor(trainingBatch(dataset, config.training.batchSize, t, config.seed, config.data.hflip), [config.training.batchSize, ...dataset.shape]);
    let m: IterationMetrics;
    try {
      m = await trainIteration(model, algorithm, state, x, pool);
    } finally {
      x.dispose();
    }
    after(t, m);
    // Yield to the event loop so stop requests and RPC messages get through.
    if (t % 5 === 0) await new Promise((r) => setImmediate(r));
  }
  return 'finished';
}
