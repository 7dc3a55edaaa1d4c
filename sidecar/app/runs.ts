/** The run-folder use cases: list the runs under a folder (the Runs tree), read one (the dashboard's replay). */
import { existsSync } from 'node:fs';
import { listRuns as listRunFolders, readRunSnapshot, runFiles } from '../runLayout/runFolder.ts';
import type { RunSnapshot, RunsListParams, RunsListResult, RunsReadParams } from '../protocol.ts';
import { RunsError } from './training.ts';

export function listRuns(p: RunsListParams): RunsListResult {
  return { runs: listRunFolders(p.dir) };
}

export function readRun(p: RunsReadParams): RunSnapshot {
  const f = runFiles(p.runDir);
  if (!existsSync(f.status) && !existsSync(f.config)) throw new RunsError('not-found', `No run folder at ${p.runDir} (no status.json or config.json).`);
  return readRunSnapshot(p.runDir);
}
