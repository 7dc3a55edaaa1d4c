/** What a training run takes and gives back (run.ts), apart so that its parts (openRun.ts, recorder.ts) share them without a cycle. */
import type { BackendReport } from '../core/backend.ts';
import { UserError } from '../../runLayout/errors.ts';
import type { MetricsRecord, RunStatus, SampleKind } from '../../runLayout/runFolder.ts';

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
