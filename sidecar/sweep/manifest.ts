/**
 * The sweep folder: the one module that knows its layout.
 *   sweep.json         the manifest: base config, axes, seeds, every run, Slurm jobs (atomic writes)
 *   <run>/             one run folder per grid point and seed (the run folder layout of
 *                      runLayout/runFolder.ts); its config.json, the expanded config, is written
 *                      when the sweep is planned, before the run starts
 *   logs/<run>.log     each run's output (appended across resumes)
 *   slurm/             the batch script of the Slurm executor
 *   report.md, report.json, comparison.svg   from `ecvae sweep --report`
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FileReadError, readTextGuarded } from '../runLayout/guardedRead.ts';
import { writeFileAtomic } from '../engine/store/atomic.ts';
import type { RunConfig } from '../engine/config/config.ts';
import { markOutputFolder } from '../engine/store/outputFolder.ts';
import { runFiles, SWEEP_MANIFEST } from '../runLayout/runFolder.ts';
import { describeOverrides, runConfig, SweepError, type Axis, type PlannedRun } from './grid.ts';

export const MANIFEST = SWEEP_MANIFEST;

export interface SlurmJob {
  jobId: string;
  /** Array task ids: indexes into `runs`. */
  tasks: number[];
  submittedAt: string;
  options: string[];
}

export interface SweepManifest {
  kind: 'ecvae-sweep';
  version: 1;
  /** The config file the sweep was made from (absolute). */
  source: string;
  /** The folder relative dataset paths of the source were resolved against. */
  baseDir: string;
  /** The fully defaulted source config (with any --iterations applied). */
  base: RunConfig;
  axes: Axis[];
  seeds: number[];
  /** In the order they were planned; a Slurm array task id is the index here. */
  runs: PlannedRun[];
  executor?: 'local' | 'slurm';
  slurm?: { jobs: SlurmJob[] };
  createdAt: string;
  updatedAt: string;
}

export const sweepFiles = (dir: string) => ({
  manifest: join(dir, MANIFEST),
  logs: join(dir, 'logs'),
  slurm: join(dir, 'slurm'),
  reportMd: join(dir, 'report.md'),
  reportJson: join(dir, 'report.json'),
  picture: join(dir, 'comparison.svg'),
});

export const runDirOf = (dir: string, run: Pick<PlannedRun, 'name'>): string => join(dir, run.name);
export const runConfigFile = (dir: string, run: Pick<PlannedRun, 'name'>): string => runFiles(runDirOf(dir, run)).config;
export const runLogFile = (dir: string, run: Pick<PlannedRun, 'name'>): string => join(sweepFiles(dir).logs, `${run.name}.log`);

export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, MANIFEST));
}

/** The largest sweep.json read (a manifest of 10,000 runs is a few MB). */
export const MANIFEST_MAX_BYTES = 64 * 1024 * 1024;

/** Run names as the grid makes them: safe as one path segment (never "..", never a slash). */
export const RUN_NAME = /^(?!\.\.?$)[A-Za-z0-9._+~=-]{1,200}$/;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What is wrong with a parsed manifest, or undefined when it has the shape this version writes. */
function manifestProblem(m: unknown): string | undefined {
  if (!isObject(m) || m.kind !== 'ecvae-sweep') return 'it is not a sweep manifest';
  if (m.version !== 1) return `it has version ${JSON.stringify(m.version)}; this version of ecvae reads version 1`;
  if (!isObject(m.base) || !isObject(m.base.training) || !isObject(m.base.data)) return 'its base config is missing';
  if (!Array.isArray(m.axes) || !m.axes.every((a) => isObject(a) && typeof a.key === 'string' && typeof a.name === 'string' && Array.isArray(a.values)))
    return 'its axes are damaged';
  if (!Array.isArray(m.seeds) || !m.seeds.every((x) => Number.isSafeInteger(x))) return 'its seeds are damaged';
  if (!Array.isArray(m.runs)) return 'it has no list of runs';
  for (const [i, r] of m.runs.entries()) {
    if (!isObject(r) || typeof r.name !== 'string' || !RUN_NAME.test(r.name)) return `run ${i} has no valid folder name`;
    if (typeof r.point !== 'string' || !Number.isSafeInteger(r.seed) || !isObject(r.overrides) || !isObject(r.labels)) return `run ${r.name} is damaged`;
  }
  if (m.slurm !== undefined && !(isObject(m.slurm) && Array.isArray(m.slurm.jobs))) return 'its Slurm jobs are damaged';
  return undefined;
}

export function readManifest(dirIn: string): SweepManifest {
  const dir = resolve(dirIn);
  const file = sweepFiles(dir).manifest;
  let text: string;
  try {
    // Guarded: a FIFO or a huge file under the manifest's name is refused, never waited on.
    text = readTextGuarded(file, { what: 'sweep manifest', kind: 'request', maxBytes: MANIFEST_MAX_BYTES });
  } catch (err) {
    if (err instanceof FileReadError && /file not found/.test(err.message))
      throw new SweepError(`${dir} is not a sweep folder (no ${MANIFEST}); start one with ecvae sweep <config> --seeds ... --out ${dirIn}.`);
    throw err;
  }
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new SweepError(`${file} is not valid JSON.`);
  }
  const problem = manifestProblem(m);
  if (problem) throw new SweepError(`${file} cannot be used: ${problem}.`);
  return m as SweepManifest;
}

export function writeManifest(dir: string, m: SweepManifest): void {
  m.updatedAt = new Date().toISOString();
  writeFileAtomic(sweepFiles(dir).manifest, [Buffer.from(JSON.stringify(m, null, 2) + '\n')]);
}

/** Field paths where two configs differ (for messages). */
export function differingFields(a: unknown, b: unknown, prefix = ''): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differingFields((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(whole config)'];
}

export interface PlanInput {
  source: string;
  base: RunConfig;
  axes: Axis[];
  seeds: number[];
  runs: PlannedRun[];
}

/**
 * Creates the sweep folder (or adds to the one there): validates every run's config,
 * writes the manifest and each not-yet-started run's config.json. A folder that holds
 * something else, or a sweep made from a different base config, is refused; runs
 * already in the manifest keep their place (Slurm task ids stay stable), new runs are
 * appended. training.iterations may change between calls (to train a sweep longer).
 * Returns the manifest and this plan's runs as they stand in it.
 */
export function planSweep(dirIn: string, p: PlanInput): { manifest: SweepManifest; runs: PlannedRun[]; configs: Map<string, RunConfig> } {
  const dir = resolve(dirIn);
  const baseDir = dirname(resolve(p.source));
  const configs = new Map(p.runs.map((r) => [r.name, runConfig(p.base, r, baseDir)] as const));
  let m: SweepManifest;
  const now = new Date().toISOString();
  if (isSweepDir(dir)) {
    m = readManifest(dir);
    const ignore = (c: RunConfig): unknown => ({ ...c, training: { ...c.training, iterations: 0 } });
    const diff = differingFields(ignore(m.base), ignore(p.base));
    if (diff.length) throw new SweepError(`${dir} holds a sweep of a different config (${diff.slice(0, 5).join(', ')} differ); choose another --out folder.`);
    const names = (axes: Axis[]): string => axes.map((a) => a.name).join(', ') || 'nothing but seeds';
    if (names(m.axes) !== names(p.axes))
      throw new SweepError(`${dir} sweeps ${names(m.axes)}; this sweep varies ${names(p.axes)}. Add values and seeds to it, or choose another --out folder.`);
    for (const r of p.runs) {
      const old = m.runs.find((x) => x.name === r.name);
      if (old && JSON.stringify(old.overrides) !== JSON.stringify(r.overrides))
        throw new SweepError(
          `run ${r.name} in ${dir} was planned with ${describeOverrides(old.overrides)}, not ${describeOverrides(r.overrides)}; choose another --out folder.`,
        );
      if (!old) m.runs.push(r);
    }
    for (const a of m.axes) {
      const add = p.axes.find((x) => x.name === a.name)?.values.filter((v) => !a.values.some((w) => w.label === v.label)) ?? [];
      a.values.push(...add);
    }
    m.seeds = [...new Set([...m.seeds, ...p.seeds])];
    m.base = p.base;
  } else {
    if (existsSync(dir) && readdirSync(dir).length) throw new SweepError(`${dir} exists and is not a sweep folder; choose a new or empty --out folder.`);
    m = {
      kind: 'ecvae-sweep',
      version: 1,
      source: resolve(p.source),
      baseDir,
      base: p.base,
      axes: p.axes,
      seeds: p.seeds,
      runs: [...p.runs],
      createdAt: now,
      updatedAt: now,
    };
  }
  mkdirSync(sweepFiles(dir).logs, { recursive: true });
  for (const r of p.runs) {
    const runDir = runDirOf(dir, r);
    // A started run keeps its folder as the trainer left it; it rewrites config.json itself on resume.
    if (existsSync(runFiles(runDir).status)) continue;
    markOutputFolder(runDir, 'run');
    writeFileSync(runConfigFile(dir, r), JSON.stringify(configs.get(r.name), null, 2) + '\n');
  }
  writeManifest(dir, m);
  return { manifest: m, runs: p.runs.map((r) => m.runs.find((x) => x.name === r.name)!), configs };
}

/** The training.iterations a run of this sweep trains to. */
export function runTotal(m: SweepManifest): number {
  return m.base.training.iterations;
}
