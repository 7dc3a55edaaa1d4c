/**
 * A training run: the run folder (runFolder.ts), metrics, sample grids, checkpoints,
 * resume, stop requests and divergence handling around the pure iteration of trainer.ts.
 * Used by the CLI and the sidecar alike; reports through callbacks, never prints.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { selectBackend, type BackendReport } from '../core/backend.ts';
import { assertMatchesModel, CheckpointError, readCheckpoint, resolveCheckpoint, saveCheckpoint, stateFromCheckpoint } from '../store/checkpoint.ts';
import type { RunConfig } from '../config/config.ts';
import { loadDataset, trainingBatch, type Dataset } from '../data/index.ts';
import { buildModel } from '../models/index.ts';
import { Pool, resolveParallelism } from '../parallel/pool.ts';
import { memoryProblem } from '../core/memory.ts';
import { allFinite } from '../core/params.ts';
import { CalibrationWatch } from '../algorithm/probe.ts';
import { sampleRangeWarning } from '../algorithm/health.ts';
import {
  acquireRunLock,
  appendMetrics,
  prepareRunFolder,
  runFiles,
  samplePath,
  truncateMetrics,
  writeStatus,
  type MetricsRecord,
  type RunStatus,
  type SampleKind,
} from '../store/runFolder.ts';
import { writeSamples } from '../store/pictures.ts';
import { generate, refine } from '../algorithm/sample.ts';
import * as tf from '../core/tf.ts';
import { DivergenceError, disposeTrainState, initTrainState, trainIteration, type IterationMetrics, type TrainState } from '../algorithm/trainer.ts';
import { UserError } from '../core/errors.ts';
import { claimOutputFolder, removeStaleTemps } from '../store/outputFolder.ts';

export type { MetricsRecord, RunStatus } from '../store/runFolder.ts';

export interface RunEvents {
  onLog?(message: string): void;
  onMetrics?(m: MetricsRecord, total: number): void;
  onSamples?(file: string, iteration: number, kind: SampleKind): void;
  onCheckpoint?(file: string, iteration: number): void;
}

export interface TrainOptions {
  /** Run folder; default <config.output.dir>/<config.name>. */
  runDir?: string;
  /** The config file the config was read from: the run folder records it and its hash. */
  configFile?: string;
  /** Override training.iterations (the total to reach). */
  iterations?: number;
  resume?: boolean;
  /** Aborting stops after the current iteration, with a checkpoint. */
  signal?: AbortSignal;
  /** Awaited before every iteration; resolves at once unless the run is paused. */
  waitWhilePaused?: () => Promise<void>;
  events?: RunEvents;
}

export interface TrainResult {
  runDir: string;
  status: RunStatus;
  iteration: number;
  iterationsThisSession: number;
  checkpoint?: string;
  secPerIter: number;
  last?: MetricsRecord;
  backend: BackendReport;
  dataset: string;
  resumedFrom?: number;
}

export class RunError extends UserError {
  constructor(message: string, path?: string) {
    super('run', message, path);
  }
}

/**
 * A run's sample grid: how many samples it shows, and the data points drawn under them.
 * 2-D data is a scatter plot, 16x denser than an image grid, over as many data points.
 */
export function sampleGrid(ds: Dataset, sampleCount: number): { n: number; reference: Float32Array | undefined } {
  const points = ds.shape.length === 1;
  return { n: points ? sampleCount * 16 : sampleCount, reference: points ? ds.x.subarray(0, Math.min(ds.size, sampleCount * 16) * ds.shape[0]!) : undefined };
}

/** Identifies a dataset's examples in their order: a resumed run must see exactly the data it was trained on. */
export function datasetFingerprint(d: Dataset): string {
  return `${d.size}x${d.shape.join('x')}:${crc32(new Uint8Array(d.x.buffer, d.x.byteOffset, d.x.byteLength)).toString(16)}`;
}

/** For checkpoints written before the fingerprint: the data settings that choose the examples. */
function sameDataConfig(a: RunConfig['data'], b: RunConfig['data']): boolean {
  const pick = (d: RunConfig['data']): unknown[] => [d.kind, d.path && resolve(d.path), d.split, d.limit, d.size, d.channels, d.scale, d.count];
  return JSON.stringify(pick(a)) === JSON.stringify(pick(b));
}

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

async function trainLocked(config: RunConfig, opts: TrainOptions, runDir: string, log: (m: string) => void): Promise<TrainResult> {
  const ev = opts.events ?? {};
  let resumeFile: string | undefined;
  if (existsSync(join(runFiles(runDir).checkpoints, 'latest'))) {
    if (!opts.resume)
      throw new RunError(`Run folder ${runDir} already has checkpoints. Use --resume to continue it, or choose another --out folder or "name".`);
    resumeFile = resolveCheckpoint(runDir);
  } else if (opts.resume) {
    log(`nothing to resume in ${runDir} (no checkpoint yet); starting from iteration 0`);
  }

  const backend = await selectBackend(config.backend);
  log(`backend ${backend.backend}: ${backend.reason}`);
  const dataset = loadDataset(config.data, config.seed);
  for (const w of dataset.warnings) log(`warning: ${w}`);
  if (config.training.batchSize > dataset.size) {
    throw new RunError(
      `training.batchSize (${config.training.batchSize}) is larger than the dataset (${dataset.size} examples). Lower the batch size or add data.`,
    );
  }
  log(`data: ${dataset.name}`);
  const model = buildModel(config.model, dataset.shape);
  const total = opts.iterations ?? config.training.iterations;
  const threads = resolveParallelism(config.training.parallelism, backend.backend, model);
  const tooBig = memoryProblem(model, config.training.batchSize, threads, backend.backend);
  if (tooBig) throw new RunError(tooBig);

  const fingerprint = datasetFingerprint(dataset);
  let state: TrainState;
  if (resumeFile) {
    const ck = readCheckpoint(resumeFile);
    assertMatchesModel(ck, [...model.specs.enc, ...model.specs.dec], 'vae');
    if (config.calibration.enabled) assertMatchesModel(ck, model.specs.ebm, 'ebm');
    const trainedOn = ck.header.dataFingerprint;
    if (trainedOn !== undefined && trainedOn !== fingerprint)
      throw new CheckpointError(
        `Checkpoint ${resumeFile} was trained on other data than the config's ${dataset.name} (same shape, different examples or order). ` +
          `Resume with the config the run was trained with (${runFiles(runDir).config}), or train into another folder.`,
        resumeFile,
      );
    if (trainedOn === undefined && !sameDataConfig(ck.header.config.data, config.data))
      throw new CheckpointError(
        `Checkpoint ${resumeFile} was trained on data ${JSON.stringify(ck.header.config.data)}; the config says ${JSON.stringify(config.data)}. ` +
          `Resume with the config the run was trained with (${runFiles(runDir).config}), or train into another folder.`,
        resumeFile,
      );
    state = stateFromCheckpoint(ck);
    if (config.calibration.enabled !== Boolean(state.ebm))
      throw new CheckpointError(
        `Checkpoint ${resumeFile} was trained with calibration.enabled = ${Boolean(state.ebm)}; the config says ${config.calibration.enabled}.`,
      );
    log(`resuming from ${resumeFile} at iteration ${state.iteration}`);
  } else {
    state = initTrainState(model, config);
  }
  const resumedFrom = resumeFile ? state.iteration : undefined;

  prepareRunFolder(runDir, config, !resumeFile, opts.configFile);
  if (resumeFile) truncateMetrics(runDir, state.iteration);
  writeStatus(runDir, { status: 'running', iteration: state.iteration, total });

  const L = config.logging;
  const { n: sampleN, reference } = sampleGrid(dataset, L.sampleCount);
  let checkpoint: string | undefined = resumeFile;
  const start = performance.now();
  let windowStart = start;
  let windowIters = 0;
  let last: MetricsRecord | undefined;
  const startIteration = state.iteration;

  const saveCk = (): void => {
    if (!allFinite(state.vae) || (state.ebm && !allFinite(state.ebm))) throw new DivergenceError(state.iteration, { parameters: NaN });
    checkpoint = saveCheckpoint(runDir, state, config, dataset.shape, L.keepCheckpoints, { dataFingerprint: fingerprint });
    ev.onCheckpoint?.(checkpoint, state.iteration);
  };
  const saveSamples = (): void => {
    const x = generate(model, state.vae, sampleN, config.seed);
    const checkRange = (s: tf.Tensor, which: string): void => {
      const range = sampleRangeWarning(
        tf.tidy(() => s.abs().mean().dataSync()[0]!),
        state.iteration,
        which,
      );
      if (range) log(range);
    };
    checkRange(x, 'one-step');
    const one = samplePath(runDir, state.iteration, 'one-step');
    writeSamples(one, model.dataShape, x, reference);
    ev.onSamples?.(one, state.iteration, 'one-step');
    if (L.sampleMcmcSteps > 0 && state.ebm) {
      const r = refine(model, state.ebm, x, L.sampleMcmcSteps, config, config.seed);
      checkRange(r, 'MCMC-refined');
      const file = samplePath(runDir, state.iteration, 'mcmc');
      writeSamples(file, model.dataShape, r, reference);
      r.dispose();
      ev.onSamples?.(file, state.iteration, 'mcmc');
    }
    x.dispose();
  };

  const watch = CalibrationWatch.create(config, dataset, model, log);
  const pool = await Pool.create(model, config.model, backend.backend, threads);
  if (pool.threads > 1) log(`batch rows (SGLD chains and gradients) are split across ${pool.threads} threads`);
  let status: RunStatus = 'finished';
  try {
    while (state.iteration < total) {
      await opts.waitWhilePaused?.();
      if (opts.signal?.aborted) {
        status = 'stopped';
        break;
      }
      const t = state.iteration + 1;
      const x = tf.tensor(trainingBatch(dataset, config.training.batchSize, t, config.seed, config.data.hflip), [config.training.batchSize, ...dataset.shape]);
      let m: IterationMetrics;
      try {
        m = await trainIteration(model, config, state, x, pool);
      } finally {
        x.dispose();
      }
      windowIters++;
      if (t % L.every === 0 || t === total) {
        const now = performance.now();
        last = { ...m, itPerSec: (windowIters * 1000) / Math.max(now - windowStart, 1e-6), elapsed: (now - start) / 1000 };
        if (state.ebm) watch?.observe(last, state.ebm);
        windowStart = now;
        windowIters = 0;
        appendMetrics(runDir, last);
        ev.onMetrics?.(last, total);
      }
      if (t % L.sampleEvery === 0) saveSamples();
      if (t % L.checkpointEvery === 0) saveCk();
      // Yield to the event loop so stop requests and RPC messages get through.
      if (t % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    if (state.iteration > startIteration || !checkpoint) {
      if (state.iteration % L.sampleEvery !== 0) saveSamples();
      if (state.iteration % L.checkpointEvery !== 0 || !checkpoint) saveCk();
    }
    writeStatus(runDir, { status, iteration: state.iteration, total });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    writeStatus(runDir, {
      status: 'failed',
      iteration: state.iteration,
      total,
      message: checkpoint ? `${message} Last good checkpoint: ${checkpoint}` : message,
    });
    if (err instanceof DivergenceError) log(`last good checkpoint: ${checkpoint ?? 'none'}`);
    throw err;
  } finally {
    disposeTrainState(state);
    watch?.dispose();
    await pool.close();
  }
  const done = state.iteration - startIteration;
  return {
    runDir,
    status,
    iteration: state.iteration,
    iterationsThisSession: done,
    ...(checkpoint ? { checkpoint } : {}),
    secPerIter: done ? (performance.now() - start) / 1000 / done : 0,
    ...(last ? { last } : {}),
    backend,
    dataset: dataset.name,
    ...(resumedFrom !== undefined ? { resumedFrom } : {}),
  };
}
