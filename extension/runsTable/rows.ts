/**
 * The runs table's rows, read from the run folders in the extension host (the run-folder
 * module): summary, the config's key hyper-parameters, the newest metrics record.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { readMetrics, runFiles, type RunSummary } from '../../sidecar/runLayout/runFolder.ts';
import type { RunRow } from './messages.ts';

interface RunConfigJson {
  model?: { kind?: string; latentDim?: number };
  training?: { batchSize?: number; vaeLearningRate?: number; beta?: number };
  calibration?: { enabled?: boolean; sgldSteps?: number };
}

function readConfig(runDir: string): RunConfigJson {
  try {
    return JSON.parse(readFileSync(runFiles(runDir).config, 'utf8')) as RunConfigJson;
  } catch {
    return {};
  }
}

/** A row per run; `folderOf` names a run's workspace folder when there are several. */
export function runRows(runs: RunSummary[], folderOf: (runDir: string) => { name: string; path: string } | undefined): RunRow[] {
  return runs.map((run) => {
    const c = readConfig(run.runDir);
    const last = readMetrics(run.runDir).pop();
    const folder = folderOf(run.runDir);
    const status = runFiles(run.runDir).status;
    const row: RunRow = {
      runDir: run.runDir,
      name: run.name,
      where: folder ? `${folder.name}: ${relative(folder.path, run.runDir)}` : basename(run.runDir),
      status: run.status,
      iteration: run.iteration,
      params: {
        model: c.model?.kind,
        latentDim: c.model?.latentDim,
        batchSize: c.training?.batchSize,
        lr: c.training?.vaeLearningRate,
        beta: c.training?.beta,
        sgldSteps: c.calibration?.enabled === false ? 0 : c.calibration?.sgldSteps,
        calibration: c.calibration?.enabled,
      },
      last: last ? { rec: last.rec, kl: last.kl, gap: last.gap, itPerSec: last.itPerSec } : {},
    };
    if (run.total !== undefined) row.total = run.total;
    if (existsSync(status)) row.updated = statSync(status).mtime.toISOString();
    return row;
  });
}
