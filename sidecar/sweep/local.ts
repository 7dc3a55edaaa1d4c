/**
 * The local executor: a queue of the sweep's unfinished runs, N at a time, each its own
 * `ecvae train <run>/config.json --out <run> --resume` process (so a run is exactly what
 * `ecvae train` makes, a crash stays in its process, and a rerun skips finished runs and
 * resumes interrupted ones from their checkpoints). Stopping (`stop`) sends each child
 * SIGINT once, the child checkpoints and exits; `kill` ends them at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { READ_LIMITS, readTextGuarded } from '../runLayout/guardedRead.ts';
import { join } from 'node:path';
import { packageRoot } from '../engine/core/paths.ts';
import type { PlannedRun } from './grid.ts';
import { runConfigFile, runDirOf, runLogFile, runTotal, type SweepManifest } from './manifest.ts';
import { runState, type RunState } from './state.ts';

/**
 * This installation's `ecvae` entry point and the node running it (children and Slurm
 * tasks use both): bin/ecvae.js, or dist/cli.js itself where no bin/ ships (the .vsix).
 */
export function ecvaeCommand(): { node: string; cli: string } {
  const bin = join(packageRoot(), 'bin', 'ecvae.js');
  return { node: process.execPath, cli: existsSync(bin) ? bin : join(packageRoot(), 'dist', 'cli.js') };
}

/** The arguments of one run's training process. */
export function trainArgs(dir: string, m: SweepManifest, run: PlannedRun): string[] {
  return ['train', runConfigFile(dir, run), '--out', runDirOf(dir, run), '--resume', '--iterations', String(runTotal(m)), '--json'];
}

export interface LocalEvents {
  onStart?(run: PlannedRun, pid: number): void;
  onEnd?(run: PlannedRun, state: RunState, exitCode: number | null): void;
  onLog?(message: string): void;
}

export interface LocalOptions {
  parallel: number;
  /** Aborted: start nothing more, ask every child to checkpoint and stop. */
  stop?: AbortSignal;
  /** Aborted: kill every child now (a second Ctrl-C). */
  kill?: AbortSignal;
  events?: LocalEvents;
}

export interface LocalResult {
  states: RunState[];
  /** Runs skipped because they were finished already, or trained by another process. */
  skipped: string[];
  stopped: boolean;
}

function lastLine(file: string): string {
  try {
    const lines = readTextGuarded(file, { what: 'log', kind: 'run', maxBytes: READ_LIMITS.metrics }).trimEnd().split('\n');
    return lines.slice(-3).join(' | ');
  } catch {
    return '';
  }
}

export async function runLocal(dir: string, m: SweepManifest, runs: PlannedRun[], o: LocalOptions): Promise<LocalResult> {
  const { node, cli } = ecvaeCommand();
  const skipped: string[] = [];
  const queue: PlannedRun[] = [];
  for (const r of runs) {
    const s = runState(dir, m, r);
    if (s.state === 'finished' || s.state === 'running') {
      skipped.push(r.name);
      if (s.state === 'running') o.events?.onLog?.(`${r.name}: being trained by another process; skipped`);
    } else queue.push(r);
  }
  const children = new Set<ChildProcess>();
  const states: RunState[] = [];
  const signal = (pid: number | undefined, sig: NodeJS.Signals): void => {
    try {
      if (pid) process.kill(pid, sig);
    } catch {
      // it has just ended
    }
  };
  const onStop = (): void => {
    for (const c of children) signal(c.pid, 'SIGINT');
  };
  const onKill = (): void => {
    // Each child leads its own process group: end the group (the child and anything it started).
    for (const c of children) if (c.pid) signal(-c.pid, 'SIGKILL');
  };
  o.stop?.addEventListener('abort', onStop, { once: true });
  o.kill?.addEventListener('abort', onKill, { once: true });

  const runOne = (run: PlannedRun): Promise<void> =>
    new Promise((resolveRun) => {
      const log = runLogFile(dir, run);
      const fd = openSync(log, 'a');
      writeSync(fd, `== ${new Date().toISOString()} ecvae sweep (local): ${run.name}\n`);
      // detached: a Ctrl-C in the terminal reaches the sweep only, which passes it on once
      // (a second SIGINT would make a child quit without its checkpoint).
      const child = spawn(node, [cli, ...trainArgs(dir, m, run)], { stdio: ['ignore', 'pipe', fd], detached: true });
      closeSync(fd);
      children.add(child);
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
      });
      if (child.pid) o.events?.onStart?.(run, child.pid);
      let ended = false;
      const finish = (code: number | null): void => {
        if (ended) return;
        ended = true;
        children.delete(child);
        if (out.trim()) {
          const fdOut = openSync(log, 'a');
          writeSync(fdOut, out.endsWith('\n') ? out : out + '\n');
          closeSync(fdOut);
        }
        const s = runState(dir, m, run);
        // Killed on request (a second Ctrl-C): stopped, resumable from its last checkpoint, not failed.
        if (code !== 0 && code !== 130 && !o.kill?.aborted && s.state !== 'failed') {
          s.state = 'failed';
          s.detail = `ecvae train exited with ${code ?? 'a signal'}: ${lastLine(log)}`;
        }
        states.push(s);
        o.events?.onEnd?.(run, s, code);
        resolveRun();
      };
      child.on('error', (err) => {
        const fdErr = openSync(log, 'a');
        writeSync(fdErr, `could not start ${node} ${cli}: ${err.message}\n`);
        closeSync(fdErr);
        finish(null);
      });
      child.on('close', (code) => finish(code));
    });

  const workers = Array.from({ length: Math.min(Math.max(1, o.parallel), Math.max(queue.length, 1)) }, async () => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      if (o.stop?.aborted) break;
      await runOne(run);
    }
  });
  try {
    await Promise.all(workers);
  } finally {
    o.stop?.removeEventListener('abort', onStop);
    o.kill?.removeEventListener('abort', onKill);
  }
  const order = new Map(m.runs.map((r, i) => [r.name, i]));
  states.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  return { states, skipped, stopped: Boolean(o.stop?.aborted) };
}
