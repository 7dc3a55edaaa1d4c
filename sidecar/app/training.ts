/**
 * The train use case: a config to its iterations, in the foreground (`ecvae train`) or as
 * a run the sidecar owns and can stop, pause and resume (`train/*`). One run trains at a
 * time in the sidecar (it owns the accelerator).
 */
import { resolve } from 'node:path';
import { requireConfigFile, type RunConfig } from '../engine/config/config.ts';
import { UserError } from '../runLayout/errors.ts';
import { train, type RunEvents, type TrainResult } from '../engine/jobs/run.ts';
import type { TrainPauseResult, TrainResumeResult, TrainStartParams, TrainStartResult, TrainStopResult } from '../protocol.ts';

export type { RunEvents, TrainResult };

export interface TrainContext {
  signal?: AbortSignal;
  events?: RunEvents;
  /** Awaited before every iteration; resolves at once unless the run is paused. */
  waitWhilePaused?: () => Promise<void>;
}

/** Trains (or resumes) `config` into `runDir` (default: its output.dir and name); resolves when the run ends. */
export function trainRun(
  config: RunConfig,
  p: { runDir?: string; configFile?: string; iterations?: number; resume?: boolean },
  ctx: TrainContext = {},
): Promise<TrainResult> {
  return train(config, {
    ...(p.runDir ? { runDir: p.runDir } : {}),
    ...(p.configFile ? { configFile: p.configFile } : {}),
    ...(p.iterations ? { iterations: p.iterations } : {}),
    resume: p.resume ?? false,
    ...ctx,
  });
}

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

  start(p: TrainStartParams): TrainStartResult {
    const active = [...this.runs.entries()].find(([, r]) => !r.abort.signal.aborted);
    if (active) throw new RunsError('busy', `Run ${active[0]} (${active[1].runDir}) is still training; stop it first.`);
    const cfg = requireConfigFile(p.configPath);
    const runId = `run-${++this.counter}`;
    const runDir = p.runDir ? resolve(p.runDir) : resolve(p.baseDir ?? '.', cfg.config.output.dir, cfg.config.name);
    const abort = new AbortController();
    const ev = this.events(runId);
    const run: ActiveRun = { runDir, abort, paused: false, done: Promise.resolve(undefined as unknown as TrainResult) };
    run.done = trainRun(
      cfg.config,
      { runDir, configFile: p.configPath, ...(p.iterations ? { iterations: p.iterations } : {}), ...(p.resume ? { resume: true } : {}) },
      {
        signal: abort.signal,
        events: ev,
        waitWhilePaused: () => (run.paused ? new Promise<void>((r) => (run.resumePaused = r)) : Promise.resolve()),
      },
    );
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

  stop(runId: string): TrainStopResult {
    const r = this.get(runId);
    r.abort.abort();
    this.resume(runId); // a paused run must wake up to notice the stop
    return { runId, stopping: true };
  }

  pause(runId: string): TrainPauseResult {
    this.get(runId).paused = true;
    return { runId, paused: true };
  }

  resume(runId: string): TrainResumeResult {
    const r = this.get(runId);
    r.paused = false;
    r.resumePaused?.();
    delete r.resumePaused;
    return { runId, paused: false };
  }

  /** Waits for every active run to end (used on shutdown). */
  async stopAll(): Promise<void> {
    const all = [...this.runs.keys()];
    all.forEach((id) => this.stop(id));
    await Promise.allSettled(all.map((id) => this.runs.get(id)?.done));
  }
}
