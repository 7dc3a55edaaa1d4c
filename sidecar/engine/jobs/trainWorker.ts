/**
 * Worker-thread entry of trainThread.ts: trains the run it was started with, posts the
 * run's events as they happen, then its result or its error, and exits.
 */
console.log = console.error; // a worker's stdout is the process's stdout: keep it clean
console.info = console.error;

import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../../runLayout/errors.ts';
import { train } from './run.ts';
import type { RunEvents } from './runTypes.ts';
import type { TrainJob, TrainReply } from './trainThread.ts';

const post = (m: TrainReply): void => parentPort!.postMessage(m);
const forward = <K extends keyof RunEvents>(name: K) => ((...args: unknown[]) => post({ kind: 'event', name, args })) as NonNullable<RunEvents[K]>;
const job = workerData as TrainJob;

try {
  const result = await train(job.config, {
    ...job.opts,
    events: { onLog: forward('onLog'), onMetrics: forward('onMetrics'), onSamples: forward('onSamples'), onCheckpoint: forward('onCheckpoint') },
  });
  post({ kind: 'done', result });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  post(
    e instanceof UserError
      ? { kind: 'error', message: e.message, userKind: e.kind, ...(e.path ? { path: e.path } : {}) }
      : { kind: 'error', message: e.message },
  );
}
