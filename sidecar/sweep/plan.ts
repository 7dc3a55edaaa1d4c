/**
 * A sweep from its inputs: the config file, the axes (`--set` flags and any extra axes a
 * caller builds, such as bench/calibration.ts's variants), the seeds and an optional
 * iteration count, expanded and written to the sweep folder (manifest.ts planSweep).
 */
import { resolve } from 'node:path';
import { requireConfigFile, type RunConfig } from '../engine/config/config.ts';
import { expandGrid, parseSeeds, parseSetFlag, SweepError, type Axis, type PlannedRun } from './grid.ts';
import { planSweep, type SweepManifest } from './manifest.ts';

export interface SweepInputs {
  config: string;
  /** --seeds text ("0,1,2", "0-4") or the seeds. */
  seeds: string | number[];
  /** --set flags, each path=v1,v2. */
  sets?: string[];
  /** Axes before the --set ones (e.g. variants). */
  axes?: Axis[];
  iterations?: number;
  out: string;
}

export interface Plan {
  dir: string;
  manifest: SweepManifest;
  /** This call's runs (the manifest may hold more from earlier calls). */
  runs: PlannedRun[];
  configs: Map<string, RunConfig>;
  warnings: string[];
}

export function makePlan(i: SweepInputs): Plan {
  if (!i.out) throw new SweepError('a sweep needs --out DIR, the sweep folder.');
  const seeds = typeof i.seeds === 'string' ? parseSeeds(i.seeds) : i.seeds;
  const axes = [...(i.axes ?? []), ...(i.sets ?? []).map(parseSetFlag)];
  const loaded = requireConfigFile(i.config);
  const base = loaded.config;
  if (i.iterations !== undefined) base.training.iterations = i.iterations;
  const grid = expandGrid(axes, seeds);
  const { manifest, runs, configs } = planSweep(i.out, { source: i.config, base, axes: grid.axes, seeds, runs: grid.runs });
  return { dir: resolve(i.out), manifest, runs, configs, warnings: loaded.warnings.map((w) => `${i.config}:${w.line}:${w.column}: warning: ${w.message}`) };
}
