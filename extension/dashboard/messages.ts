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
  /** A sample grid the run saved; replayed oldest first, so the slider steps through every one. */
  | { type: 'samples'; iteration: number; kind: SampleKind; src: string }
  | { type: 'status'; status: DashboardStatus; message?: string }
  /** Another run's curves, drawn dashed over this run's (e.g. the VAE of a `compare`); any number, one message each (same name: replaced). */
  | { type: 'overlay'; name: string; records: MetricsRecord[] };

/** Webview -> extension. */
export type FromDashboard =
  | { type: 'ready' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** The samples panel, or the restoration panel (an image to pick), for this run. */
  | { type: 'openSamples' }
  | { type: 'openRestore' }
  /** Pick another run to overlay. */
  | { type: 'pickOverlay' };

/** What the webview persists with setState, so a reloaded window shows the same run. */
export interface DashboardState {
  run?: DashboardRun;
  records: MetricsRecord[];
  /** Every sample grid of the run so far, by iteration. */
  grids: { iteration: number; kind: SampleKind; src: string }[];
  /** The iteration the grid slider shows; undefined follows the newest. */
  gridIteration?: number;
  status?: DashboardStatus;
  message?: string;
  overlays: { name: string; records: MetricsRecord[] }[];
  /** Exponential smoothing of the curves, 0 (none) to 0.95, as TensorBoard's slider. */
  smoothing?: number;
  /** Log y axes for the charts of positive quantities. */
  logScale?: boolean;
}
