/**
 * Opening a training run: resume or not, the backend, the data, the model, the memory
 * check, and the state (fresh, or from the run's checkpoint when it was trained with this
 * model, data and calibration setting). The run folder is then marked running.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { initTrainState, type TrainState } from '../algorithm/trainer.ts';
import type { RunConfig } from '../config/config.ts';
import { selectBackend, type BackendReport } from '../core/backend.ts';
import { memoryProblem } from '../core/memory.ts';
import { loadDataset, type Dataset } from '../data/index.ts';
import { buildModel, type EcvaeModel } from '../models/index.ts';
import { resolveParallelism } from '../parallel/threads.ts';
import { assertMatchesModel, CheckpointError, readCheckpoint, resolveCheckpoint, stateFromCheckpoint } from '../store/checkpoint.ts';
import { runFiles } from '../../runLayout/runFolder.ts';
import { prepareRunFolder, truncateMetrics, writeStatus } from '../store/runWriter.ts';
import { RunError, type TrainOptions } from './runTypes.ts';

/** Identifies a dataset's examples in their order: a resumed run must see exactly the data it was trained on. */
export function datasetFingerprint(d: Dataset): string {
  return `${d.size}x${d.shape.join('x')}:${crc32(new Uint8Array(d.x.buffer, d.x.byteOffset, d.x.byteLength)).toString(16)}`;
}

/** For checkpoints written before the fingerprint: the data settings that choose the examples. */
function sameDataConfig(a: RunConfig['data'], b: RunConfig['data']): boolean {
  const pick = (d: RunConfig['data']): unknown[] => [d.kind, d.path && resolve(d.path), d.split, d.limit, d.size, d.channels, d.scale, d.count];
  return JSON.stringify(pick(a)) === JSON.stringify(pick(b));
}

/** A run ready to train: its backend, data, model and state (fresh or from its checkpoint), the folder marked running. */
export interface OpenedRun {
  backend: BackendReport;
  dataset: Dataset;
  model: EcvaeModel;
  /** The iteration to reach. */
  total: number;
  threads: number;
  fingerprint: string;
  state: TrainState;
  /** The checkpoint resumed from, if any. */
  resumeFile?: string;
}

/** Everything checked before the first iteration: resume or not, backend, data, model, memory, the checkpoint's fit. */
export async function openRun(config: RunConfig, opts: TrainOptions, runDir: string, log: (m: string) => void): Promise<OpenedRun> {
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
  const state = resumeFile ? resumedState(resumeFile, config, model, dataset, fingerprint, runDir, log) : initTrainState(model, config);

  prepareRunFolder(runDir, config, !resumeFile, opts.configFile);
  if (resumeFile) truncateMetrics(runDir, state.iteration);
  writeStatus(runDir, { status: 'running', iteration: state.iteration, total });
  return { backend, dataset, model, total, threads, fingerprint, state, ...(resumeFile ? { resumeFile } : {}) };
}

/** The training state of `resumeFile`, refused unless it was trained with this model, data and calibration setting. */
function resumedState(
  resumeFile: string,
  config: RunConfig,
  model: EcvaeModel,
  dataset: Dataset,
  fingerprint: string,
  runDir: string,
  log: (m: string) => void,
): TrainState {
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
  const state = stateFromCheckpoint(ck);
  if (config.calibration.enabled !== Boolean(state.ebm))
    throw new CheckpointError(
      `Checkpoint ${resumeFile} was trained with calibration.enabled = ${Boolean(state.ebm)}; the config says ${config.calibration.enabled}.`,
    );
  log(`resuming from ${resumeFile} at iteration ${state.iteration}`);
  return state;
}
