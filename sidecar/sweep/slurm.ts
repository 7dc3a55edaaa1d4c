/**
 * The Slurm executor: one `sbatch` job array per submission, one task per run, the task
 * id being the run's index in sweep.json. Each task runs this installation's
 * `ecvae train <run>/config.json --out <run> --resume` with the absolute paths of node
 * and bin/ecvae.js, so the sweep folder and the installation must be on a filesystem the
 * nodes share. A cancelled, timed-out or failed task stops with a checkpoint (Slurm sends
 * SIGTERM first, and `ecvae train` checkpoints on it); submitting again resumes it, its
 * logs appended (--open-mode=append). State comes from squeue (no slurmdbd needed).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../engine/store/atomic.ts';
import { SweepError, type PlannedRun } from './grid.ts';
import { threadsPerRun } from '../engine/parallel/threads.ts';
import { ecvaeCommand, trainArgs } from './local.ts';
import { runLogFile, sweepFiles, writeManifest, type SweepManifest } from './manifest.ts';
import { activeInQueue, runState, type QueueEntry } from './state.ts';

/** sbatch options the executor sets itself. */
const OWN = new Set(['array', 'output', 'error', 'open-mode', 'parsable', 'wrap', 'chdir', 'D', 'a', 'o', 'e']);

/**
 * `--slurm-opt` values to sbatch arguments: `partition=gpu` → `--partition=gpu`, or an
 * option as sbatch spells it (`--gres=gpu:1`, `--exclusive`). Options the executor owns
 * (--array, --output, ...) are refused.
 */
export function slurmOptArgs(opts: string[]): string[] {
  return opts.map((o) => {
    const text = o.trim();
    if (!text || /[\n\r\0]/.test(text)) throw new SweepError(`--slurm-opt "${o}": expected name=value, e.g. partition=gpu or gres=gpu:1.`);
    const arg = text.startsWith('-') ? text : `--${text}`;
    const name = /^--?([A-Za-z][A-Za-z0-9-]*)/.exec(arg)?.[1];
    if (!name) throw new SweepError(`--slurm-opt "${o}": expected name=value, e.g. partition=gpu or gres=gpu:1.`);
    if (OWN.has(name)) throw new SweepError(`--slurm-opt ${name}: ecvae sweep sets --${name} itself (one array task per run, logs in the sweep folder).`);
    return arg;
  });
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The batch script: the run names by task id, each task's output appended to its run's log. */
export function batchScript(dir: string, m: SweepManifest): string {
  const { node, cli } = ecvaeCommand();
  const placeholder = '@RUN@';
  const args = trainArgs(dir, m, { name: placeholder } as PlannedRun).map((a) =>
    a.includes(placeholder) ? a.split(placeholder).map(shq).join('"$RUN"') : shq(a),
  );
  return [
    '#!/bin/bash',
    '# Written by `ecvae sweep --executor slurm`: one array task per run of the sweep in this',
    '# folder (the task id is the run index in sweep.json). A resubmitted task resumes its run',
    '# from its last checkpoint. Rewritten on every submission.',
    'set -u',
    `RUNS=(${m.runs.map((r) => shq(r.name)).join(' ')})`,
    'RUN="${RUNS[$SLURM_ARRAY_TASK_ID]}"',
    `exec >>${runLogFile(dir, { name: placeholder }).split(placeholder).map(shq).join('"$RUN"')} 2>&1`,
    'echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) Slurm task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname): $RUN"',
    // exec: Slurm's SIGTERM (scancel, time limit) reaches ecvae train, which checkpoints and stops.
    `exec ${shq(node)} ${shq(cli)} ${args.join(' ')}`,
    '',
  ].join('\n');
}

function run(cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string; missing: boolean } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: r.status === 0 && !r.error, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error && !missing ? r.error.message : ''), missing };
}

/**
 * Array task states of the sweep's jobs, from `squeue -r -t all` (tasks that ended stay
 * listed for slurmctld's MinJobAge; a task cancelled before it started leaves no record).
 * Keyed by task id; the newest job that lists a task wins.
 */
export function queueStates(m: SweepManifest): Map<number, QueueEntry> {
  const out = new Map<number, QueueEntry>();
  for (const job of m.slurm?.jobs ?? []) {
    const r = run('squeue', ['-h', '-r', '-t', 'all', '-j', job.jobId, '-o', '%F|%K|%T|%r']);
    if (r.missing) throw new SweepError('squeue is not on PATH: run ecvae sweep --status on a machine of the Slurm cluster.');
    if (!r.ok) {
      if (/invalid job id/i.test(r.stderr)) continue; // purged: the run folders tell the rest
      throw new SweepError(`squeue -j ${job.jobId} failed: ${r.stderr.trim()}`);
    }
    for (const line of r.stdout.split('\n')) {
      const [jobId, task, state, reason] = line.trim().split('|');
      if (!jobId || !task || !/^\d+$/.test(task)) continue;
      out.set(Number(task), { jobId, task: Number(task), state: state!.replace(/\+$/, ''), ...(reason ? { reason } : {}) });
    }
  }
  return out;
}

/** Throws a clear error where sbatch cannot be run (call it before planning anything). */
export function requireSbatch(): void {
  if (run('sbatch', ['--version']).missing)
    throw new SweepError('sbatch is not on PATH: submit from a machine of the Slurm cluster (a login node), or use --executor local.');
}

export interface SubmitOptions {
  /** --slurm-opt values. */
  options: string[];
}

export interface SubmitResult {
  jobId?: string;
  /** The runs given to this job. */
  submitted: string[];
  /** Finished, or already waiting or running in Slurm. */
  skipped: { run: string; state: string }[];
  script: string;
}

/** Submits the runs that are neither finished nor already queued or running in Slurm. */
export function submitSlurm(dir: string, m: SweepManifest, runs: PlannedRun[], o: SubmitOptions): SubmitResult {
  const extra = slurmOptArgs(o.options);
  requireSbatch();
  const queue = queueStates(m);
  const tasks: number[] = [];
  const skipped: SubmitResult['skipped'] = [];
  for (const r of runs) {
    const s = runState(dir, m, r, queue);
    const index = m.runs.indexOf(r);
    // A run trained elsewhere (its lock held by a live process on this host) is left alone too.
    if (s.state === 'finished' || activeInQueue(queue.get(index)) || (s.state === 'running' && !s.slurmTask)) skipped.push({ run: r.name, state: s.state });
    else tasks.push(index);
  }
  const files = sweepFiles(dir);
  const script = join(files.slurm, 'task.sh');
  if (!tasks.length) return { submitted: [], skipped, script };
  mkdirSync(files.slurm, { recursive: true });
  mkdirSync(files.logs, { recursive: true });
  writeFileAtomic(script, [Buffer.from(batchScript(dir, m))]);
  const args = [
    '--parsable',
    `--array=${tasks.join(',')}`,
    `--job-name=ecvae-${m.base.name}`,
    `--chdir=${dir}`,
    `--output=${join(files.logs, 'slurm-task-%a.out')}`,
    '--open-mode=append',
    `--cpus-per-task=${threadsPerRun(m.base)}`,
    ...extra,
    script,
  ];
  const r = run('sbatch', args);
  if (!r.ok) throw new SweepError(`sbatch refused the sweep: ${r.stderr.trim() || r.stdout.trim()}\n(sbatch ${args.join(' ')})`);
  const jobId = r.stdout.trim().split(';')[0]!;
  if (!/^\d+$/.test(jobId)) throw new SweepError(`sbatch answered "${r.stdout.trim()}", not a job id.`);
  m.executor = 'slurm';
  m.slurm = { jobs: [...(m.slurm?.jobs ?? []), { jobId, tasks, submittedAt: new Date().toISOString(), options: extra }] };
  writeManifest(dir, m);
  return { jobId, submitted: tasks.map((t) => m.runs[t]!.name), skipped, script };
}
