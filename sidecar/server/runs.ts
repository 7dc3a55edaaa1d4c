/**
 * Training runs owned by the sidecar: start, stop, pause, resume, and a listing of run
 * folders on disk. One run trains at a time (the sidecar owns the accelerator).
 */
import { resolve } from 'node:path';
import { requireConfigFile } from '../engine/config/config.ts';
import { UserError } from '../engine/core/errors.ts';
import { train, type RunEvents, type TrainResult } from '../engine/jobs/run.ts';
import type { TrainStartParams } from '../protocol.ts';

/** A request about runs that cannot be served: no such run, or one is already training. */
export class RunsError extends UserError {
  constructor(
    readonly code: 'not-found' | 'busy',
    message: string,
  ) {
    super('run', message);
  }
}

interface ActiveRun {
  runDir: string;
  abort: AbortController;
  paused: boolean;
  resumePaused?: () => void;
  done: Promise<TrainResult>;
}

export class RunManager {
  private readonly runs = new Map<string, ActiveRun>();
  private counter = 0;

  constructor(
    private readonly events: (
      runId: string,
    ) => RunEvents & { onFinished(r: { status: TrainResult['status'] | 'failed'; iteration: number; error?: string }): void },
  ) {}

  start(p: TrainStartParams): { runId: string; runDir: string } {
    const active = [...this.runs.entries()].find(([, r]) => !r.abort.signal.aborted);
    if (active) throw new RunsError('busy', `Run ${active[0]} (${active[1].runDir}) is still training; stop it first.`);
    const cfg = requireConfigFile(p.configPath);
    const runId = `run-${++this.counter}`;
    const runDir = p.runDir ? resolve(p.runDir) : resolve(p.baseDir ?? '.', cfg.config.output.dir, cfg.config.name);
    const abort = new AbortController();
    const ev = this.events(runId);
    const run: ActiveRun = { runDir, abort, paused: false, done: Promise.resolve(undefined as unknown as TrainResult) };
    run.done = train(cfg.config, {
      runDir,
      configFile: p.configPath,
      resume: p.resume ?? false,
      signal: abort.signal,
      events: ev,
      ...(p.iterations ? { iterations: p.iterations } : {}),
      waitWhilePaused: () => (run.paused ? new Promise<void>((r) => (run.resumePaused = r)) : Promise.resolve()),
    });
    run.done
      .then(
        (r) => ev.onFinished({ status: r.status, iteration: r.iteration }),
        (err: unknown) => ev.onFinished({ status: 'failed', iteration: -1, error: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => {
        abort.abort();
        this.runs.delete(runId);
      });
    this.runs.set(runId, run);
    return { runId, runDir };
  }

  private get(runId: string): ActiveRun {
    const r = this.runs.get(runId);
    if (!r) throw new RunsError('not-found', `No active run "${runId}". Active runs: ${[...this.runs.keys()].join(', ') || 'none'}.`);
    return r;
  }

  stop(runId: string): void {
    const r = this.get(runId);
    r.abort.abort();
    this.resume(runId); // a paused run must wake up to notice the stop
  }

  pause(runId: string): void {
    this.get(runId).paused = true;
  }

  resume(runId: string): void {
    const r = this.get(runId);
    r.paused = false;
    r.resumePaused?.();
    delete r.resumePaused;
  }

  /** Waits for every active run to end (used on shutdown). */
  async stopAll(): Promise<void> {
    const all = [...this.runs.keys()];
    all.forEach((id) => this.stop(id));
    await Promise.allSettled(all.map((id) => this.runs.get(id)?.done));
  }
}
