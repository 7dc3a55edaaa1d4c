/**
 * The run folder (README "Run folders"): the one module that knows its layout, the
 * formats of its files and how to read them. A leaf both processes share: the trainer
 * writes through sidecar/engine/store/runWriter.ts, which takes its names from here; the
 * sidecar's use cases and the extension (Runs view, CodeLens, dashboard replay, runs
 * table) read through it with plain fs and no TF.js, so that showing runs starts no
 * sidecar. It imports node builtins, jsonc-parser, the protocol's types and its own folder.
 *   config.json               the fully defaulted config
 *   source.json               the config file it was trained from and that file's hash (configHash)
 *   status.json               running | finished | stopped | failed, with pid and host
 *   metrics.jsonl             one MetricsRecord per logged iteration
 *   samples/iter-XXXXXX.png   one-step grid; iter-XXXXXX-mcmc.png the MCMC-refined one
 *   checkpoints/              checkpoint files and the `latest` pointer (format: engine/store/checkpoint.ts)
 *   run.lock                  held by the one process writing the folder
 * A folder whose status says "running" but whose writer is gone reads as "interrupted".
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { parse } from 'jsonc-parser';
import type { MetricsRecord, ObservedStatus, RunSnapshot, RunStatus, RunSummary, SampleKind } from '../protocol.ts';
import { FileReadError, READ_LIMITS, readJsonIfPresent, readTextGuarded } from './guardedRead.ts';
import { liveness, type ProcessIdentity } from './processIdentity.ts';

// The records a run folder holds and its readers return are protocol types (schemas/ecvae-protocol.schema.json).
export type { MetricsRecord, ObservedStatus, RunSnapshot, RunStatus, RunSummary, SampleKind };

/** status.json: the writer's state and identity. */
export interface StatusFile extends Partial<Omit<ProcessIdentity, 'pid'>> {
  status: RunStatus;
  iteration: number;
  total: number;
  message?: string;
  pid: number;
  updatedAt: string;
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

/** source.json: the config file a run was last trained from, and that config's hash then. */
export interface SourceFile {
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

/**
 * Files named by iteration (iter-000120.ckpt, iter-1000000.png) sorted by the number in
 * the name, not as strings: the padding is 6 digits, so a longer run's names have more
 * digits and string order would put iteration 1000000 before 999999.
 */
export function byIteration(names: string[], pattern: RegExp): string[] {
  return names
    .map((n) => ({ n, i: pattern.exec(n)?.[1] }))
    .filter((x): x is { n: string; i: string } => x.i !== undefined)
    .sort((a, b) => Number(a.i) - Number(b.i) || a.n.localeCompare(b.n))
    .map((x) => x.n);
}

/** Checkpoint files: iter-<iteration>.ckpt (checkpoint.ts writes them). */
export const CHECKPOINT_NAME = /^iter-(\d+)\.ckpt$/;
const SAMPLE_NAME: Record<SampleKind, RegExp> = { 'one-step': /^iter-(\d+)\.png$/, mcmc: /^iter-(\d+)-mcmc\.png$/ };

export function samplePath(runDir: string, iteration: number, kind: SampleKind): string {
  return join(runFiles(runDir).samples, `iter-${tag(iteration)}${kind === 'mcmc' ? '-mcmc' : ''}.png`);
}

/** A run file as JSON; undefined when missing, torn, or not a regular file (readers never block on a FIFO). */
function readJson<T>(file: string): T | undefined {
  try {
    return readJsonIfPresent<T>(file, { what: 'run file', kind: 'run', maxBytes: READ_LIMITS.runFile });
  } catch (err) {
    if (err instanceof FileReadError) return undefined;
    throw err;
  }
}

// ---------------------------------------------------------------- reading

/** Every well-formed line of metrics.jsonl (a line torn by a killed run is skipped). */
export function readMetrics(runDir: string): MetricsRecord[] {
  const file = runFiles(runDir).metrics;
  if (!existsSync(file)) return [];
  const out: MetricsRecord[] = [];
  for (const line of readTextGuarded(file, { what: 'metrics file', kind: 'run', maxBytes: READ_LIMITS.metrics }).split('\n')) {
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
  return existsSync(dir) ? byIteration(readdirSync(dir), CHECKPOINT_NAME).map((f) => join(dir, f)) : [];
}

function sampleGrids(runDir: string): RunSnapshot['samples'] {
  const dir = runFiles(runDir).samples;
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir);
  return (['one-step', 'mcmc'] as const)
    .flatMap((kind) => byIteration(files, SAMPLE_NAME[kind]).map((f) => ({ kind, iteration: Number(SAMPLE_NAME[kind].exec(f)![1]), file: join(dir, f) })))
    .sort((a, b) => a.iteration - b.iteration);
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
  const writerGone = liveness(s) === 'dead';
  if (s.status === 'running' && writerGone) {
    out.status = 'interrupted';
    out.message = `interrupted: process ${s.pid} ended without finishing; resume to continue from the last checkpoint`;
  }
  return out;
}

/** Everything the dashboard shows of a run. */
export function readRunSnapshot(runDir: string): RunSnapshot {
  return { ...readRunSummary(runDir), records: readMetrics(runDir), samples: sampleGrids(runDir) };
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

/** The manifest that makes a folder a sweep (`ecvae sweep`, sidecar/sweep/manifest.ts): it names the sweep's run folders. */
export const SWEEP_MANIFEST = 'sweep.json';

/** A sweep folder as the Runs view shows it: its runs, in the sweep's order (a planned run not started yet reads "unknown"). */
export interface SweepSummary {
  dir: string;
  name: string;
  runs: RunSummary[];
}

/** The sweep in `dir`, or undefined when `dir` holds none (or its manifest cannot be read). */
export function readSweepSummary(dir: string): SweepSummary | undefined {
  let m: { kind?: unknown; base?: { name?: unknown }; runs?: { name?: unknown }[] } | undefined;
  try {
    // A sweep of thousands of runs has a manifest of a few MB.
    m = readJsonIfPresent(join(dir, SWEEP_MANIFEST), { what: 'sweep manifest', kind: 'run', maxBytes: 64 * 1024 * 1024 });
  } catch (err) {
    if (err instanceof FileReadError) return undefined;
    throw err;
  }
  if (!m || m.kind !== 'ecvae-sweep' || !Array.isArray(m.runs)) return undefined;
  // Run names are made by the sweep from config values; anything that could leave the folder is skipped.
  const names = m.runs.map((r) => r?.name).filter((n): n is string => typeof n === 'string' && /^(?!\.\.?$)[A-Za-z0-9._+~=-]{1,200}$/.test(n));
  return { dir, name: typeof m.base?.name === 'string' ? m.base.name : basename(dir), runs: names.map((n) => readRunSummary(join(dir, n))) };
}

/** Sweep folders directly under `dir`. */
export function listSweeps(dir: string): SweepSummary[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => join(dir, name))
    .filter((d) => {
      try {
        return statSync(d).isDirectory() && existsSync(join(d, SWEEP_MANIFEST));
      } catch {
        return false;
      }
    })
    .map(readSweepSummary)
    .filter((s): s is SweepSummary => s !== undefined);
}
