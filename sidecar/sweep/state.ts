/**
 * Where each run of a sweep stands: queued, running, finished, failed or stopped
 * (interrupted, cancelled or timed out: the next `ecvae sweep` resumes it), read from its
 * run folder and, for runs given to Slurm, from the queue (slurm.ts queueStates).
 */
import { readMetrics, readRunSummary } from '../runLayout/runFolder.ts';
import type { PlannedRun } from './grid.ts';
import { runDirOf, runLogFile, runTotal, type SweepManifest } from './manifest.ts';

export type SweepRunState = 'queued' | 'running' | 'finished' | 'failed' | 'stopped';

export interface RunState {
  name: string;
  point: string;
  seed: number;
  state: SweepRunState;
  iteration: number;
  total: number;
  runDir: string;
  log: string;
  /** Why, in words (Slurm job, error message, what to do). */
  detail?: string;
  /** `<job>_<task>` of the newest Slurm task that ran or will run this run. */
  slurmTask?: string;
}

/** A Slurm array task's state as squeue reports it (PENDING, RUNNING, CANCELLED, ...). */
export interface QueueEntry {
  jobId: string;
  task: number;
  state: string;
  reason?: string;
}

const SLURM_WAITING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'SUSPENDED', 'STOPPED', 'SIGNALING']);
const SLURM_RUNNING = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT']);

/** Whether a queue entry is waiting for, or holding, a node (so the run must not be submitted again). */
export const activeInQueue = (q: QueueEntry | undefined): boolean => Boolean(q && (SLURM_WAITING.has(q.state) || SLURM_RUNNING.has(q.state)));

/**
 * One run's state. `queue` maps a task id (index in the manifest) to its entry in the
 * newest job that holds it; `submitted` is the newest job id each task was given to.
 */
export function runState(dir: string, m: SweepManifest, run: PlannedRun, queue?: Map<number, QueueEntry>): RunState {
  const index = m.runs.indexOf(run);
  const runDir = runDirOf(dir, run);
  const total = runTotal(m);
  const s = readRunSummary(runDir);
  // status.json has the iteration of the last start or stop; a running run's progress is its last logged line.
  const iteration = s.status === 'running' ? Math.max(s.iteration, readMetrics(runDir).pop()?.iteration ?? 0) : s.iteration;
  const base: RunState = {
    name: run.name,
    point: run.point,
    seed: run.seed,
    state: 'queued',
    iteration,
    total,
    runDir,
    log: runLogFile(dir, run),
  };
  const job = [...(m.slurm?.jobs ?? [])].reverse().find((j) => j.tasks.includes(index));
  const q = queue?.get(index);
  if (job) base.slurmTask = `${job.jobId}_${index}`;
  const done = s.status === 'finished' && s.iteration >= total;
  if (done) return { ...base, state: 'finished' };
  if (q && SLURM_WAITING.has(q.state))
    return {
      ...base,
      state: 'queued',
      detail: `Slurm task ${q.jobId}_${q.task} ${q.state.toLowerCase()}${q.reason && q.reason !== 'None' ? ` (${q.reason})` : ''}`,
    };
  if (q && SLURM_RUNNING.has(q.state)) return { ...base, state: 'running', detail: `Slurm task ${q.jobId}_${q.task}` };
  if (s.status === 'failed') return { ...base, state: 'failed', detail: s.message ?? `failed; see ${base.log}` };
  if (job && queue) {
    // Given to Slurm, and no longer waiting or running there.
    if (q && q.state === 'FAILED') return { ...base, state: 'failed', detail: `Slurm task ${q.jobId}_${q.task} failed; see ${base.log}` };
    const what = q ? `Slurm task ${q.jobId}_${q.task} ended ${q.state}` : `Slurm task ${job.jobId}_${index} left the queue`;
    if (s.status === 'unknown') return { ...base, state: 'stopped', detail: `${what} before it started; the next ecvae sweep resubmits it` };
    return { ...base, state: 'stopped', detail: `${what} at iteration ${s.iteration}; the next ecvae sweep resumes it from its checkpoint` };
  }
  switch (s.status) {
    case 'running':
      return { ...base, state: 'running', ...(s.message ? { detail: s.message } : {}) };
    case 'unknown':
      return base;
    case 'finished': // finished an earlier, shorter target
    case 'stopped':
    case 'interrupted':
      return { ...base, state: 'stopped', detail: `${s.status} at iteration ${s.iteration} of ${total}; the next ecvae sweep resumes it` };
  }
}

export function sweepStates(dir: string, m: SweepManifest, queue?: Map<number, QueueEntry>): RunState[] {
  return m.runs.map((r) => runState(dir, m, r, queue));
}

export function countStates(states: RunState[]): Record<SweepRunState, number> {
  const c: Record<SweepRunState, number> = { queued: 0, running: 0, finished: 0, failed: 0, stopped: 0 };
  for (const s of states) c[s.state]++;
  return c;
}
