/**
 * Messages between the extension and the training-dashboard webview, typed once for
 * both sides (the webview script in media/ imports these types).
 */
import type { MetricsRecord, ObservedStatus, SampleKind } from '../../sidecar/protocol.ts';

export type DashboardStatus = Exclude<ObservedStatus, 'unknown'> | 'paused';

export interface DashboardRun {
  runDir: string;
  name: string;
  total: number;
}

/** Extension -> webview. */
export type ToDashboard =
  | { type: 'reset'; run: DashboardRun }
  | { type: 'metrics'; records: MetricsRecord[]; /** The run's iteration target, when known. */ total?: number }
  | { type: 'samples'; iteration: number; kind: SampleKind; src: string }
  | { type: 'status'; status: DashboardStatus; message?: string };

/** Webview -> extension. */
export type FromDashboard = { type: 'ready' } | { type: 'pause' } | { type: 'resume' } | { type: 'stop' };

/** What the webview persists with setState, so a reloaded window shows the same run. */
export interface DashboardState {
  run?: DashboardRun;
  records: MetricsRecord[];
  samples: { 'one-step'?: { iteration: number; src: string }; mcmc?: { iteration: number; src: string } };
  status?: DashboardStatus;
  message?: string;
}
