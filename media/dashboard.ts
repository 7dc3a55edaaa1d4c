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
import { $, vsCodeApi } from './webview.ts';

const vscode = vsCodeApi<FromDashboard, DashboardState>();
let state: DashboardState = vscode.getState() ?? { records: [], samples: {} };

function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

type Field = keyof Pick<
  MetricsRecord,
  | 'rec'
  | 'kl'
  | 'cal'
  | 'eData'
  | 'eHeld'
  | 'eNeg'
  | 'calDistance'
  | 'epsilon'
  | 'drift'
  | 'noise'
  | 'lambda'
  | 'itPerSec'
  | 'priorNll'
  | 'latentCal'
  | 'gradNorm'
>;
interface ChartSpec {
  id: string;
  fields: { key: Field; label: string; color: string; dash?: number[] }[];
  /** Log y axis: the calibration distance spans orders of magnitude (1e-9 before the energy learns, 1e-3 after). */
  log?: boolean;
  /** Positive quantities: the "Log scale" switch applies. */
  positive?: boolean;
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
    positive: true,
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
    positive: true,
    fields: [
      { key: 'drift', label: 'drift', color: color.purple },
      { key: 'noise', label: 'noise', color: color.grey, dash: [4, 4] },
    ],
  },
  { id: 'chart-lambda', positive: true, fields: [{ key: 'lambda', label: 'λ', color: color.purple }] },
  // A flow prior (README "Flows"): its fit to the encoder means (can be negative: a density) and its calibration distance.
  {
    id: 'chart-prior',
    fields: [
      { key: 'priorNll', label: '−log p(μ)', color: color.blue },
      { key: 'latentCal', label: 'latent cal', color: color.green },
    ],
  },
  // The generator's gradient norm before clipping (training.gradClipNorm): a spike precedes a divergence.
  { id: 'chart-grad', log: true, fields: [{ key: 'gradNorm', label: '‖∇‖', color: color.orange }] },
  { id: 'chart-speed', positive: true, fields: [{ key: 'itPerSec', label: 'it/s', color: color.yellow }] },
];

const plots = new Map<string, uPlot>();

const isLog = (spec: ChartSpec): boolean => Boolean(spec.log || (spec.positive && state.logScale));

/** TensorBoard's smoothing: an exponential moving average, debiased at the start; gaps stay gaps. */
function smooth(values: (number | null)[], w: number): (number | null)[] {
  if (!w) return values;
  let avg = 0,
    n = 0;
  return values.map((v) => {
    if (v === null) return null;
    avg = w * avg + (1 - w) * v;
    n++;
    return avg / (1 - w ** n);
  });
}

/** The run's series, then the overlay run's, on the union of their iterations. */
function columns(spec: ChartSpec): uPlot.AlignedData {
  const other = state.overlay?.records ?? [];
  const xs = [...new Set([...state.records, ...other].map((r) => r.iteration))].sort((a, b) => a - b);
  // A log axis cannot show 0 (a distance before the energy has learned anything): leave a gap.
  const value = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) || (isLog(spec) && v <= 0) ? null : v);
  const aligned = (records: MetricsRecord[], key: Field): (number | null)[] => {
    const at = new Map(records.map((r) => [r.iteration, value(r[key] as number | undefined)]));
    return smooth(
      xs.map((x) => at.get(x) ?? null),
      state.smoothing ?? 0,
    );
  };
  return [xs, ...spec.fields.map((f) => aligned(state.records, f.key)), ...spec.fields.map((f) => aligned(other, f.key))] as uPlot.AlignedData;
}

function createPlots(): void {
  for (const p of plots.values()) p.destroy();
  plots.clear();
  for (const spec of charts) $(spec.id).replaceChildren();
  const axisColor = themeColor('--vscode-foreground', '#ccc');
  const gridColor = themeColor('--vscode-editorWidget-border', '#444');
  for (const spec of charts) {
    const el = $(spec.id);
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 300),
        height: 180,
        scales: { x: { time: false }, ...(isLog(spec) ? { y: { distr: 3 } } : {}) },
        // y labels like "-0.2531" need more than uPlot's default 50 px, or the sign is clipped.
        axes: [axis, { ...axis, size: 64, values: (_u: uPlot, splits: (number | null)[]) => splits.map(tick), ...(isLog(spec) ? { splits: decades } : {}) }],
        series: [
          { label: 'iteration' },
          ...spec.fields.map((f) => ({ label: f.label, stroke: f.color, width: 1.5, spanGaps: true, ...(f.dash ? { dash: f.dash } : {}) })),
          // The overlay run: same colours, thin and dotted; shown only while there is one.
          ...spec.fields.map((f) => ({
            label: `${f.label} (${state.overlay?.name ?? 'other'})`,
            stroke: f.color,
            width: 1,
            dash: [2, 3],
            spanGaps: true,
            show: Boolean(state.overlay),
          })),
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
  const overlay = $('overlay-info');
  overlay.hidden = $('clear-overlay').hidden = !state.overlay;
  overlay.textContent = state.overlay ? `dotted: ${state.overlay.name}` : '';
  $<HTMLInputElement>('smoothing').value = String(state.smoothing ?? 0);
  $<HTMLInputElement>('log-scale').checked = Boolean(state.logScale);
  for (const spec of charts) plots.get(spec.id)?.setData(columns(spec));
}

/** Axes and series labels change with the log switch and the overlay: the charts are rebuilt. */
function rebuild(): void {
  vscode.setState(state);
  createPlots();
  render();
}

function apply(msg: ToDashboard): void {
  switch (msg.type) {
    case 'reset': {
      // A new run: its own curves (no overlay); the view settings stay.
      const hadOverlay = Boolean(state.overlay);
      state = { run: msg.run, records: [], samples: {}, status: 'running', smoothing: state.smoothing, logScale: state.logScale };
      if (hadOverlay) return rebuild();
      break;
    }
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
    case 'overlay':
      state.overlay = { name: msg.name, records: msg.records };
      return rebuild();
  }
  vscode.setState(state);
  render();
}

window.addEventListener('message', (e: MessageEvent<ToDashboard>) => apply(e.data));
$('pause').addEventListener('click', () => vscode.postMessage({ type: state.status === 'paused' ? 'resume' : 'pause' }));
$('stop').addEventListener('click', () => vscode.postMessage({ type: 'stop' }));
$('open-samples').addEventListener('click', () => vscode.postMessage({ type: 'openSamples' }));
$('open-restore').addEventListener('click', () => vscode.postMessage({ type: 'openRestore' }));
$('compare').addEventListener('click', () => vscode.postMessage({ type: 'pickOverlay' }));
$('clear-overlay').addEventListener('click', () => {
  state.overlay = undefined;
  rebuild();
});
$('smoothing').addEventListener('input', () => {
  state.smoothing = Number($<HTMLInputElement>('smoothing').value);
  vscode.setState(state);
  render();
});
$('log-scale').addEventListener('change', () => {
  state.logScale = $<HTMLInputElement>('log-scale').checked;
  rebuild();
});
createPlots();
render();
vscode.postMessage({ type: 'ready' });
