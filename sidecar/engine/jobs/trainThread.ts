/**
 * A training run on a worker thread of its own (trainWorker.ts runs `train` there), so
 * that one process can train several single-thread runs at once: `compare` trains its
 * variants side by side when each fits one core. The run's events come back as
 * messages; a user error keeps its kind, message and path.
 */
import type { RunConfig } from '../config/config.ts';
import { UserError, type UserErrorKind } from '../../runLayout/errors.ts';
import { spawnWorker } from '../parallel/spawnWorker.ts';
import type { RunEvents, TrainOptions, TrainResult } from './runTypes.ts';

/** What a worker's run takes: the plain-data part of TrainOptions. */
export interface TrainJob {
  config: RunConfig;
  opts: Pick<TrainOptions, 'runDir' | 'iterations' | 'resume' | 'configFile'>;
}

type EventName = keyof RunEvents;

export type TrainReply =
  | { kind: 'event'; name: EventName; args: unknown[] }
  | { kind: 'done'; result: TrainResult }
  | { kind: 'error'; message: string; userKind?: UserErrorKind; path?: string };

export function trainOnThread(job: TrainJob, events: RunEvents = {}): Promise<TrainResult> {
  const worker = spawnWorker('train-worker.js', new URL('./trainWorker.ts', import.meta.url), { workerData: job satisfies TrainJob });
  return new Promise<TrainResult>((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (m: TrainReply) => {
      if (m.kind === 'event') (events[m.name] as ((...a: unknown[]) => void) | undefined)?.(...m.args);
      else if (m.kind === 'done') settle(() => resolve(m.result));
      else settle(() => reject(m.userKind ? new UserError(m.userKind, m.message, m.path) : new Error(m.message)));
    });
    worker.on('error', (e) => settle(() => reject(new Error(`training thread crashed: ${e.message}`))));
    worker.on('exit', (code) => settle(() => reject(new Error(`training thread exited (code ${code}) before its run ended`))));
  });
}
