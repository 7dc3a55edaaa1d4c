/**
 * Messages between the extension and the runs-table webview, typed once for both sides
 * (media/runsTable.ts imports these types).
 */
import type { ObservedStatus } from '../../sidecar/protocol.ts';

/** One run: what it is, where it stands, its key hyper-parameters and its last logged metrics. */
export interface RunRow {
  runDir: string;
  name: string;
  /** The run folder's name and, in a multi-root workspace, its workspace folder. */
  where: string;
  status: ObservedStatus;
  iteration: number;
  total?: number;
  /** Key hyper-parameters from the run's config.json (absent: not recorded). */
  params: { model?: string; latentDim?: number; batchSize?: number; lr?: number; beta?: number; sgldSteps?: number; calibration?: boolean };
  /** The newest metrics record's values. */
  last: { rec?: number; kl?: number; gap?: number; itPerSec?: number };
  /** ISO time of the run's last status update. */
  updated?: string;
}

/** Columns the table sorts by. */
export type SortKey =
  'name' | 'status' | 'iteration' | 'model' | 'latentDim' | 'batchSize' | 'lr' | 'beta' | 'sgldSteps' | 'rec' | 'kl' | 'gap' | 'itPerSec' | 'updated';

/** Extension -> webview. */
export type ToRunsTable = { type: 'rows'; rows: RunRow[] };

/** Webview -> extension. */
export type FromRunsTable = { type: 'ready' } | { type: 'refresh' } | { type: 'open'; runDir: string };

/** What the webview persists with setState (the rows come again from the extension). */
export interface RunsTableState {
  sort: { key: SortKey; descending: boolean };
}
