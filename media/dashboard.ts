/**
 * Training dashboard webview: live curves (uPlot), the latest sample grids side by side,
 * run status and pause/stop. Everything it shows lives in a DashboardState that is saved
 * with vscode.setState, so the panel looks the same after a window reload.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { DashboardState, FromDashboard, ToDashboard } from '../extension/dashboard/messages.ts';
import type { MetricsRecord } from '../sidecar/protocol.ts';

interface VsCodeApi {
  postMessage(msg: FromDashboard): void;
  getState(): DashboardState | undefined;
  setState(s: DashboardState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let state: DashboardState = vscode.getState() ?? { records: [], samples: {} };

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

type Field = keyof Pick<
  MetricsRecord,
  'rec' | 'kl' | 'cal' | 'eData' | 'eHeld' | 'eNeg' | 'calDistance' | 'epsilon' | 'drift' | 'noise' | 'lambda' | 'itPerSec'
>;
interface ChartSpec {
  id: string;
  fields: { key: Field; label: string; color: string; dash?: number[] }[];
  /** Log y axis: the calibration distance spans orders of magnitude (1e-9 before the energy learns, 1e-3 after). */
  log?: boolean;
}

/** Tick labels that stay readable from 1e-9 to 1e3. */
/** Grid lines at powers of ten only (uPlot's log axis also draws 2..9 of every decade). */
function decades(_u: uPlot, _axis: number, min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out;
}

const tick = (v: number | null): string => {
  if (v === null || !Number.isFinite(v)) return ''; // uPlot passes null splits for an empty log axis
  return v !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e4) ? v.toExponential(0) : String(+v.toPrecision(4));
};

const color = {
  blue: themeColor('--vscode-charts-blue', '#3794ff'),
  orange: themeColor('--vscode-charts-orange', '#d18616'),
  green: themeColor('--vscode-charts-green', '#89d185'),
  red: themeColor('--vscode-charts-red', '#f14c4c'),
  purple: themeColor('--vscode-charts-purple', '#b180d7'),
  yellow: themeColor('--vscode-charts-yellow', '#cca700'),
  grey: themeColor('--vscode-descriptionForeground', '#999'),
};

// What tells a user whether calibration works (docs/calibration.md): E(held-out data)
// well below E(neg), the drift of the chains above their noise, and the distance vs epsilon.
const charts: ChartSpec[] = [
  {
    id: 'chart-losses',
    fields: [
      { key: 'rec', label: 'rec', color: color.blue },
      { key: 'kl', label: 'kl', color: color.orange },
      { key: 'cal', label: 'cal', color: color.green },
    ],
  },
  {
    id: 'chart-energy',
    fields: [
      { key: 'eData', label: 'E(data)', color: color.blue },
      { key: 'eHeld', label: 'E(held-out)', color: color.green },
      { key: 'eNeg', label: 'E(neg)', color: color.red },
    ],
  },
  {
    id: 'chart-distance',
    log: true,
    fields: [
      { key: 'calDistance', label: 'distance', color: color.green },
      { key: 'epsilon', label: 'ε', color: color.grey, dash: [4, 4] },
    ],
  },
  {
    id: 'chart-drift',
    fields: [
      { key: 'drift', label: 'drift', color: color.purple },
      { key: 'noise', label: 'noise', color: color.grey, dash: [4, 4] },
    ],
  },
  { id: 'chart-lambda', fields: [{ key: 'lambda', label: 'λ', color: color.purple }] },
  { id: 'chart-speed', fields: [{ key: 'itPerSec', label: 'it/s', color: color.yellow }] },
];

const plots = new Map<string, uPlot>();

function columns(spec: ChartSpec): uPlot.AlignedData {
  const xs = state.records.map((r) => r.iteration);
  // A log axis cannot show 0 (a distance before the energy has learned anything): leave a gap.
  const value = (v: number | undefined): number | null => (v === undefined || (spec.log && v <= 0) ? null : v);
  return [xs, ...spec.fields.map((f) => state.records.map((r) => value(r[f.key] as number | undefined)))] as uPlot.AlignedData;
}

function createPlots(): void {
  const axisColor = themeColor('--vscode-foreground', '#ccc');
  const gridColor = themeColor('--vscode-editorWidget-border', '#444');
  for (const spec of charts) {
    const el = $(spec.id);
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 300),
        height: 180,
        scales: { x: { time: false }, ...(spec.log ? { y: { distr: 3 } } : {}) },
        // y labels like "-0.2531" need more than uPlot's default 50 px, or the sign is clipped.
        axes: [axis, { ...axis, size: 64, values: (_u: uPlot, splits: (number | null)[]) => splits.map(tick), ...(spec.log ? { splits: decades } : {}) }],
        series: [
          { label: 'iteration' },
          ...spec.fields.map((f) => ({ label: f.label, stroke: f.color, width: 1.5, spanGaps: true, ...(f.dash ? { dash: f.dash } : {}) })),
        ],
      },
      columns(spec),
      el,
    );
    plots.set(spec.id, plot);
  }
  new ResizeObserver(() => {
    for (const spec of charts) plots.get(spec.id)!.setSize({ width: Math.max($(spec.id).clientWidth, 300), height: 180 });
  }).observe(document.body);
}

function render(): void {
  $('run-name').textContent = state.run ? `EC-VAE training: ${state.run.name}` : 'EC-VAE training';
  const status = state.status ?? (state.run ? 'running' : undefined);
  const statusEl = $('status');
  statusEl.textContent = status ?? 'waiting for a run';
  statusEl.className = `status ${status ?? ''}`;
  const last = state.records[state.records.length - 1];
  $('progress').textContent = last && state.run ? `iteration ${last.iteration} / ${state.run.total} · ${last.itPerSec.toFixed(2)} it/s` : '';
  const warning = $('calibration-warning');
  warning.hidden = !last?.calibrationWarning;
  warning.textContent = last?.calibrationWarning ?? '';
  const msg = $('message');
  msg.hidden = !state.message;
  msg.textContent = state.message ?? '';
  const active = status === 'running' || status === 'paused';
  $<HTMLButtonElement>('pause').disabled = !active;
  $<HTMLButtonElement>('stop').disabled = !active;
  $('pause').textContent = status === 'paused' ? 'Resume' : 'Pause';
  for (const kind of ['one-step', 'mcmc'] as const) {
    const s = state.samples[kind];
    if (s) {
      $<HTMLImageElement>(`img-${kind}`).src = s.src;
      $(`it-${kind}`).textContent = `(iteration ${s.iteration})`;
    }
  }
  for (const spec of charts) plots.get(spec.id)?.setData(columns(spec));
}

function apply(msg: ToDashboard): void {
  switch (msg.type) {
    case 'reset':
      state = { run: msg.run, records: [], samples: {}, status: 'running' };
      break;
    case 'metrics': {
      // Replayed metrics.jsonl and live notifications may overlap: keep iterations in order, once.
      const lastIt = state.records[state.records.length - 1]?.iteration ?? 0;
      state.records.push(...msg.records.filter((r) => r.iteration > lastIt));
      // A dashboard opened as the run starts has no status.json to read the total from yet.
      if (msg.total && state.run) state.run.total = msg.total;
      break;
    }
    case 'samples':
      state.samples[msg.kind] = { iteration: msg.iteration, src: msg.src };
      break;
    case 'status':
      state.status = msg.status;
      if (msg.message !== undefined) state.message = msg.message;
      break;
  }
  vscode.setState(state);
  render();
}

window.addEventListener('message', (e: MessageEvent<ToDashboard>) => apply(e.data));
$('pause').addEventListener('click', () => vscode.postMessage({ type: state.status === 'paused' ? 'resume' : 'pause' }));
$('stop').addEventListener('click', () => vscode.postMessage({ type: 'stop' }));
createPlots();
render();
vscode.postMessage({ type: 'ready' });
