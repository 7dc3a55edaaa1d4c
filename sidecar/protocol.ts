/**
 * The sidecar protocol: JSON-RPC 2.0 over stdio, one JSON message per line. This module
 * is the single source of the method and notification types; the extension and the
 * sidecar both import it (it has no runtime dependencies, and never imports vscode).
 */
import type { SampleOutcome, SamplePreviews, SampleRequest } from './engine/jobs/actions.ts';
import type { RestoreFileRequest, RestoreFrame, RestoreOutcome } from './engine/restore/restoreFile.ts';
import type { BackendReport } from './engine/core/backend.ts';
import type { Diagnostic } from './engine/config/config.ts';
import type { FitPriorOptions, FitPriorResult } from './engine/jobs/fitPrior.ts';
import type { MetricsRecord, ObservedStatus, RunSnapshot, RunStatus, RunSummary, SampleKind } from './engine/store/runFolder.ts';

// The run-folder types both ends use; the extension and the webview import them from here only.
export type { MetricsRecord, ObservedStatus, RunSnapshot, RunStatus, RunSummary, SampleKind };
// The restoration tasks both ends list and the mask presets both draw (pure; the engine gives each task its behaviour).
export { presetMaskBits, RESTORATION_TASKS, TASK_NAMES, type MaskPreset, type Task, type TaskInfo, type TaskParams } from './restorationTasks.ts';

export const PROTOCOL_VERSION = 1;

/** JSON-RPC error codes beyond the standard ones (-32700..-32600). */
export const ErrorCode = {
  InvalidParams: -32602,
  RunNotFound: -32001,
  InvalidConfig: -32002,
  Busy: -32003,
  Failed: -32004,
  /** As in the Language Server Protocol. */
  RequestCancelled: -32800,
} as const;

export interface TrainStartParams {
  /** Path of a *.ecvae.json file. */
  configPath: string;
  /** Where the run goes; default: the config's output.dir and name, output.dir resolved against `baseDir`. */
  runDir?: string;
  /** The folder a relative output.dir is relative to (the extension: the workspace folder; default: the sidecar's current directory). */
  baseDir?: string;
  iterations?: number;
  resume?: boolean;
}

/** As the CLI's `sample` (engine/jobs/actions.ts). */
export type SampleParams = SampleRequest;

/** As the CLI's `restore`, minus the comparison strip; `steps` sets the Langevin steps. */
export type RestoreParams = Omit<RestoreFileRequest, 'compare' | 'options'> & {
  /** Langevin steps, step size, energy weight and seed (the CLI's --steps, --step-size, --energy-weight, --seed). */
  steps?: number;
  stepSize?: number;
  energyWeight?: number;
  seed?: number;
  /** With a token, the sidecar sends `restore/progress` notifications carrying it, every `progressEvery` steps (default 5). */
  progressToken?: string;
  progressEvery?: number;
};
export type { FitPriorResult, RestoreFrame, RestoreOutcome, SampleOutcome, SamplePreviews };

/** As the CLI's `fit-prior` (engine/jobs/fitPrior.ts); the sidecar logs the fit's progress as `log` notifications. */
export type FitPriorParams = { source: string } & Partial<Pick<FitPriorOptions, 'outDir' | 'iterations' | 'batchSize' | 'learningRate'>>;

/** Requests the client sends: params and result of each method. */
export interface Methods {
  initialize: { params: Record<string, never>; result: { protocolVersion: number; backend: BackendReport; pid: number } };
  'config/validate': { params: { text: string; baseDir: string }; result: { ok: boolean; diagnostics: Diagnostic[] } };
  'train/start': { params: TrainStartParams; result: { runId: string; runDir: string } };
  'train/stop': { params: { runId: string }; result: { runId: string; stopping: true } };
  'train/pause': { params: { runId: string }; result: { runId: string; paused: true } };
  'train/resume': { params: { runId: string }; result: { runId: string; paused: false } };
  'runs/list': { params: { dir: string }; result: { runs: RunSummary[] } };
  /** What the dashboard replays of a run folder: summary, every metrics record, every sample grid. */
  'runs/read': { params: { runDir: string }; result: RunSnapshot };
  sample: { params: SampleParams; result: SampleOutcome };
  'prior/fit': { params: FitPriorParams; result: FitPriorResult };
  restore: { params: RestoreParams; result: RestoreOutcome };
}

/** Every method, at run time: schemas/ecvae-protocol.schema.json defines params for exactly these (a test checks). */
export const METHOD_NAMES = [
  'initialize',
  'config/validate',
  'train/start',
  'train/stop',
  'train/pause',
  'train/resume',
  'runs/list',
  'runs/read',
  'sample',
  'restore',
  'prior/fit',
] as const satisfies readonly (keyof Methods)[];
/** Compiles only while METHOD_NAMES lists every key of Methods. */
export const METHOD_NAMES_COMPLETE: [Exclude<keyof Methods, (typeof METHOD_NAMES)[number]>] extends [never] ? true : never = true;

/**
 * Notifications the client sends. `$/cancelRequest` (as in the Language Server Protocol)
 * cancels the request with that id: it then fails with ErrorCode.RequestCancelled.
 * Restoration stops within one Langevin step; sampling is checked before and after drawing.
 */
export interface ClientNotifications {
  '$/cancelRequest': { id: number | string };
}

/** Notifications the sidecar sends. */
export interface Notifications {
  'train/progress': { runId: string; metrics: MetricsRecord; total: number };
  'train/samples': { runId: string; file: string; iteration: number; kind: SampleKind };
  'train/checkpoint': { runId: string; file: string; iteration: number };
  'train/finished': { runId: string; status: RunStatus; iteration: number; error?: string };
  /** The current estimates of a `restore` request that gave a progressToken. */
  'restore/progress': RestoreFrame & { token: string };
  log: { message: string };
}

export type NotificationName = keyof Notifications;

/** Every notification the sidecar sends, at run time (the client subscribes to each). */
export const NOTIFICATION_NAMES = [
  'train/progress',
  'train/samples',
  'train/checkpoint',
  'train/finished',
  'restore/progress',
  'log',
] as const satisfies readonly NotificationName[];
/** Compiles only while NOTIFICATION_NAMES lists every key of Notifications. */
export const NOTIFICATION_NAMES_COMPLETE: [Exclude<NotificationName, (typeof NOTIFICATION_NAMES)[number]>] extends [never] ? true : never = true;
