/**
 * A config and its run: where the config trains to (its output.dir and name, relative to
 * its workspace folder, as the sidecar resolves them), whether a run of it exists there,
 * and whether the config changed since that run was trained (the run folder records a
 * hash of the config it was trained with: sidecar/runLayout/runFolder.ts). Read here, in the
 * extension host, so the CodeLens and the Train prompt need no sidecar.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'jsonc-parser';
import { configHash, readRunSummary, runFiles, type RunSummary } from '../sidecar/runLayout/runFolder.ts';
import { workspaceDir } from './workspace.ts';

export interface ConfigRun {
  /** The run folder this config trains to: `<output.dir>/<name>`, or the newest `<name>-N` a "new run" made beside it. */
  runDir: string;
  /** Where a new run of it goes (a folder that does not exist yet). */
  newRunDir: string;
  /** The run there, if one exists (a status file or checkpoints). */
  run?: RunSummary;
  /** It has a checkpoint to resume from or sample with. */
  resumable: boolean;
  /** The iteration the config trains to (training.iterations; undefined: the schema's default). */
  iterations?: number;
  /** The config's hash now, and whether it differs from the one the run recorded (false when the run recorded none). */
  hash: string;
  changed: boolean;
}

/** The run of the config file `file` whose text (maybe unsaved) is `text`. */
export function configRun(file: string, text: string): ConfigRun {
  const cfg = (parse(text) ?? {}) as { name?: unknown; output?: { dir?: unknown }; training?: { iterations?: unknown } };
  const iterations = typeof cfg.training?.iterations === 'number' ? cfg.training.iterations : undefined;
  const name = typeof cfg.name === 'string' && cfg.name ? cfg.name : 'run';
  const outDir = typeof cfg.output?.dir === 'string' && cfg.output.dir ? cfg.output.dir : 'runs';
  const base = resolve(workspaceDir(file), outDir, name);
  let runDir = base;
  let i = 2;
  for (; existsSync(`${base}-${i}`); i++) runDir = `${base}-${i}`;
  const newRunDir = existsSync(base) ? `${base}-${i}` : base;
  const hash = configHash(text);
  const f = runFiles(runDir);
  if (!existsSync(f.status) && !existsSync(f.checkpoints))
    return { runDir, newRunDir, resumable: false, hash, changed: false, ...(iterations ? { iterations } : {}) };
  const run = readRunSummary(runDir);
  const changed = run.configHash !== undefined && run.configHash !== hash;
  return { runDir, newRunDir, run, resumable: run.checkpoints.length > 0, hash, changed, ...(iterations ? { iterations } : {}) };
}
