/**
 * The run folder (README "Run folder"): the one module that knows its layout and the
 * formats of its files. The trainer writes through it, and the sidecar reads through it
 * for the Runs tree and the dashboard (the extension never reads run files itself).
 *   config.json               the fully defaulted config
 *   source.json               the config file it was trained from and that file's hash (configHash)
 *   status.json               running | finished | stopped | failed, with pid and host
 *   metrics.jsonl             one MetricsRecord per logged iteration
 *   samples/iter-XXXXXX.png   one-step grid; iter-XXXXXX-mcmc.png the MCMC-refined one
 *   checkpoints/              checkpoint files and the `latest` pointer (format: checkpoint.ts)
 *   run.lock                  held by the one process writing the folder
 * A folder whose status says "running" but whose writer is gone reads as "interrupted".
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'jsonc-parser';
import { writeFileAtomic } from './atomic.ts';
import type { IterationMetrics } from '../algorithm/trainer.ts';
import { UserError } from '../core/errors.ts';

export type RunStatus = 'running' | 'finished' | 'stopped' | 'failed';
/** What a reader sees: a "running" folder whose writer died is "interrupted". */
export type ObservedStatus = RunStatus | 'interrupted' | 'unknown';

/** One line of metrics.jsonl. */
export interface MetricsRecord extends IterationMetrics {
  /** Mean energy of a fixed held-out data batch (the probe, data/index.ts loadProbe), and eNeg - eHeld. */
  eHeld?: number;
  gap?: number;
  /** Present while calibration is judged inactive (health.ts), with the reason and what to change. */
  calibrationWarning?: string;
  /** Iterations per second over the last logging window. */
  itPerSec: number;
  /** Wall-clock seconds since this process started the run. */
  elapsed: number;
}

interface StatusFile {
  status: RunStatus;
  iteration: number;
  total: number;
  message?: string;
  pid: number;
  host?: string;
  updatedAt: string;
}

interface LockFile {
  pid: number;
  host: string;
  startedAt: string;
}

export type SampleKind = 'one-step' | 'mcmc';

/** A run as a reader sees it: what the Runs tree lists and the dashboard replays. */
export interface RunSummary {
  runDir: string;
  name: string;
  status: ObservedStatus;
  iteration: number;
  total?: number;
  checkpoints: string[];
  message?: string;
  /** The config file the run was last trained from, and that config's hash (configHash) then. */
  configFile?: string;
  configHash?: string;
}

export interface RunSnapshot extends RunSummary {
  records: MetricsRecord[];
  /** The newest grid of each kind. */
  samples: { kind: SampleKind; iteration: number; file: string }[];
}

export const runFiles = (runDir: string) => ({
  config: join(runDir, 'config.json'),
  status: join(runDir, 'status.json'),
  metrics: join(runDir, 'metrics.jsonl'),
  samples: join(runDir, 'samples'),
  checkpoints: join(runDir, 'checkpoints'),
  lock: join(runDir, 'run.lock'),
  source: join(runDir, 'source.json'),
});

interface SourceFile {
  configFile: string;
  configHash: string;
}

/**
 * A hash of a config as its author wrote it: the parsed JSON with keys sorted, without
 * "$schema" (whitespace, key order and an editor's schema link change nothing). Runs
 * record it, so an editor can tell that a config changed since its run was trained.
 */
export function configHash(text: string): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .filter((k) => k !== '$schema')
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(parse(text) ?? null)))
    .digest('hex')
    .slice(0, 16);
}

const tag = (iteration: number): string => String(iteration).padStart(6, '0');
const SAMPLE_NAME: Record<SampleKind, RegExp> = { 'one-step': /^iter-(\d+)\.png$/, mcmc: /^iter-(\d+)-mcmc\.png$/ };

export function samplePath(runDir: string, iteration: number, kind: SampleKind): string {
  return join(runFiles(runDir).samples, `iter-${tag(iteration)}${kind === 'mcmc' ? '-mcmc' : ''}.png`);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------- writing (the trainer)

/**
 * Creates the folder's layout and writes config.json; a fresh run starts an empty
 * metrics.jsonl. With the config file it came from, records that file and its hash
 * (source.json; a resumed run records the config it continues with).
 */
export function prepareRunFolder(runDir: string, config: object, fresh: boolean, configFile?: string): void {
  const f = runFiles(runDir);
  mkdirSync(f.checkpoints, { recursive: true });
  mkdirSync(f.samples, { recursive: true });
  writeFileSync(f.config, JSON.stringify(config, null, 2) + '\n');
  if (fresh) writeFileSync(f.metrics, '');
  if (configFile) {
    const source: SourceFile = { configFile: resolve(configFile), configHash: configHash(readFileSync(configFile, 'utf8')) };
    writeFileAtomic(f.source, [Buffer.from(JSON.stringify(source, null, 2) + '\n')]);
  } else if (fresh && existsSync(f.source)) unlinkSync(f.source);
}

export function writeStatus(runDir: string, s: Omit<StatusFile, 'pid' | 'host' | 'updatedAt'>): void {
  const body: StatusFile = { ...s, pid: process.pid, host: hostname(), updatedAt: new Date().toISOString() };
  writeFileAtomic(runFiles(runDir).status, [Buffer.from(JSON.stringify(body, null, 2) + '\n')]);
}

export function appendMetrics(runDir: string, record: MetricsRecord): void {
  writeFileSync(runFiles(runDir).metrics, JSON.stringify(record) + '\n', { flag: 'a' });
}

/** Keeps metrics.jsonl lines up to `iteration` (a killed run may have logged past its last checkpoint). */
export function truncateMetrics(runDir: string, iteration: number): void {
  const kept = readMetrics(runDir).filter((r) => r.iteration <= iteration);
  writeFileAtomic(runFiles(runDir).metrics, [Buffer.from(kept.map((r) => JSON.stringify(r) + '\n').join(''))]);
}

export class RunLockedError extends UserError {
  constructor(message: string) {
    super('run', message);
  }
}

/**
 * Takes the folder's writer lock (exclusive create of run.lock with pid, host, start
 * time), so that two trainers never interleave one run's metrics and checkpoints. A lock
 * left by a dead process on this host is recovered (with `notice`); a live holder, or one
 * on another host whose liveness cannot be checked, is refused with its name. Returns the
 * release function.
 */
export function acquireRunLock(runDir: string, notice: (m: string) => void): () => void {
  const file = runFiles(runDir).lock;
  const created = !existsSync(runDir);
  mkdirSync(runDir, { recursive: true });
  const mine: LockFile = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = readJson<LockFile>(file);
      if (held && held.host === mine.host && !processAlive(held.pid)) {
        notice(`recovered the lock of ${runDir} left by process ${held.pid} (started ${held.startedAt}), which is no longer running`);
        unlinkSync(file);
        continue;
      }
      const who = held ? `process ${held.pid} on ${held.host} (since ${held.startedAt})` : 'another process (unreadable lock file)';
      throw new RunLockedError(
        `Run folder ${runDir} is being written by ${who}. Stop that run first, or train into another folder. ` +
          (held && held.host !== mine.host ? `If that process is gone, delete ${file}.` : ''),
      );
    }
    writeSync(fd, JSON.stringify(mine) + '\n');
    closeSync(fd);
    return () => {
      if (readJson<LockFile>(file)?.pid === process.pid) unlinkSync(file);
      // A run refused before writing anything (bad data, a busy backend) leaves no empty folder behind.
      if (created && readdirSync(runDir).length === 0) rmdirSync(runDir);
    };
  }
  throw new RunLockedError(`Could not take the lock of ${runDir}: ${file} keeps reappearing.`);
}

// ---------------------------------------------------------------- reading (the sidecar)

/** Every well-formed line of metrics.jsonl (a line torn by a killed run is skipped). */
export function readMetrics(runDir: string): MetricsRecord[] {
  const file = runFiles(runDir).metrics;
  if (!existsSync(file)) return [];
  const out: MetricsRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsRecord);
    } catch {
      // torn by a kill: the line before it is the last complete one
    }
  }
  return out;
}

export function listCheckpoints(runDir: string): string[] {
  const dir = runFiles(runDir).checkpoints;
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.ckpt'))
        .sort()
        .map((f) => join(dir, f))
    : [];
}

function newestSamples(runDir: string): RunSnapshot['samples'] {
  const dir = runFiles(runDir).samples;
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).sort();
  return (['one-step', 'mcmc'] as const).flatMap((kind) => {
    const newest = files.filter((f) => SAMPLE_NAME[kind].test(f)).pop();
    return newest ? [{ kind, iteration: Number(SAMPLE_NAME[kind].exec(newest)![1]), file: join(dir, newest) }] : [];
  });
}

/** Status, progress and checkpoints of one run folder. */
export function readRunSummary(runDir: string): RunSummary {
  const f = runFiles(runDir);
  const config = readJson<{ name?: string; training?: { iterations?: number } }>(f.config);
  const s = readJson<StatusFile>(f.status);
  const out: RunSummary = { runDir, name: config?.name ?? basename(runDir), status: 'unknown', iteration: 0, checkpoints: listCheckpoints(runDir) };
  const total = s?.total ?? config?.training?.iterations;
  if (total !== undefined) out.total = total;
  const source = readJson<SourceFile>(f.source);
  if (source) Object.assign(out, { configFile: source.configFile, configHash: source.configHash });
  if (!s) return out;
  Object.assign(out, { status: s.status, iteration: s.iteration, ...(s.message ? { message: s.message } : {}) });
  const writerGone = s.host === undefined || s.host === hostname() ? !processAlive(s.pid) : false;
  if (s.status === 'running' && writerGone) {
    out.status = 'interrupted';
    out.message = `interrupted: process ${s.pid} ended without finishing; resume to continue from the last checkpoint`;
  }
  return out;
}

/** Everything the dashboard shows of a run. */
export function readRunSnapshot(runDir: string): RunSnapshot {
  return { ...readRunSummary(runDir), records: readMetrics(runDir), samples: newestSamples(runDir) };
}

/** Run folders directly under `dir` (those with a status.json or checkpoints/). */
export function listRuns(dir: string): RunSummary[] {
  if (!existsSync(dir)) return [];
  const isRun = (runDir: string): boolean => {
    try {
      return statSync(runDir).isDirectory() && (existsSync(runFiles(runDir).status) || existsSync(runFiles(runDir).checkpoints));
    } catch {
      return false; // a dangling link or an entry removed meanwhile
    }
  };
  return readdirSync(dir)
    .sort()
    .map((name) => join(dir, name))
    .filter(isRun)
    .map(readRunSummary);
}
