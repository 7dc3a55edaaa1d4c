/**
 * Training dashboard webview: live curves (uPlot; the charts are media/dashboardCharts.ts)
 * with any number of other runs overlaid, the run's sample grids with a slider through
 * their history, status with progress and ETA, and pause/stop. Everything it shows lives
 * in a DashboardState that is saved with vscode.setState, so the panel looks the same
 * after a window reload.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { DashboardState, FromDashboard, ToDashboard } from '../extension/dashboard/messages.ts';
import type { MetricsRecord } from '../sidecar/protocol.ts';
import { axisIsLog, chartFrame, chartOptions, CHARTS, PALETTE, showNewest, type ChartSpec, type Field } from './dashboardCharts.ts';
import { $, vsCodeApi } from './webview.ts';

const vscode = vsCodeApi<FromDashboard, DashboardState>();
const EMPTY: DashboardState = { records: [], grids: [], overlays: [] };
// A state saved by an older version lacks the newer lists.
let state: DashboardState = { ...EMPTY, ...vscode.getState() };

function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}
const color = (c: keyof typeof PALETTE): string => themeColor(PALETTE[c][0], PALETTE[c][1]);

const plots = new Map<string, uPlot>();

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

/** The run's series, then each overlaid run's, on the union of their iterations. */
function columns(spec: ChartSpec): uPlot.AlignedData {
  const runs = [state.records, ...state.overlays.map((o) => o.records)];
  const xs = [...new Set(runs.flat().map((r) => r.iteration))].sort((a, b) => a - b);
  const aligned = (records: MetricsRecord[], f: ChartSpec['fields'][number]): (number | null)[] => {
    // A log axis cannot show 0 (a distance before the energy has learned anything): leave a gap.
    const log = axisIsLog(spec.axes[f.axis ?? 0]!, Boolean(state.logScale));
    const value = (v: number | undefined): number | null => (v === undefined || !Number.isFinite(v) || (log && v <= 0) ? null : v);
    const at = new Map(records.map((r) => [r.iteration, value(r[f.key as Field] as number | undefined)]));
    return smooth(
      xs.map((x) => at.get(x) ?? null),
      state.smoothing ?? 0,
    );
  };
  return [xs, ...runs.flatMap((records) => spec.fields.map((f) => aligned(records, f)))] as uPlot.AlignedData;
}

function createPlots(): void {
  for (const p of plots.values()) p.destroy();
  plots.clear();
  const common = {
    logScale: Boolean(state.logScale),
    overlays: state.overlays.map((o) => o.name),
    color,
    axisColor: themeColor('--vscode-foreground', '#ccc'),
    gridColor: themeColor('--vscode-editorWidget-border', '#444'),
  };
  for (const spec of CHARTS) {
    const el = chartFrame($(spec.id), spec);
    const plot = new uPlot(chartOptions(spec, { ...common, width: plotWidth(spec) }), columns(spec), el);
    showNewest(plot);
    plots.set(spec.id, plot);
  }
}
const plotWidth = (spec: ChartSpec): number => Math.max($(spec.id).querySelector<HTMLElement>('.plot')?.clientWidth ?? 0, 260);
new ResizeObserver(() => {
  for (const spec of CHARTS) plots.get(spec.id)?.setSize({ width: plotWidth(spec), height: 200 });
}).observe(document.body);

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** Time left at the recent speed (the mean of the last five logged rates, which are themselves window averages). */
function eta(): string | undefined {
  const total = state.run?.total ?? 0;
  const recent = state.records.slice(-5);
  const last = recent[recent.length - 1];
  if (!last || !total || last.iteration >= total) return undefined;
  const rate = recent.reduce((a, r) => a + r.itPerSec, 0) / recent.length;
  return rate > 0 ? duration((total - last.iteration) / rate) : undefined;
}

/** The grid iterations, and the grid of each kind the slider shows (at or before the selected iteration). */
function renderGrids(): void {
  const iterations = [...new Set(state.grids.map((g) => g.iteration))].sort((a, b) => a - b);
  const slider = $<HTMLInputElement>('grid-slider');
  slider.max = String(Math.max(iterations.length - 1, 0));
  slider.disabled = iterations.length < 2;
  const at = state.gridIteration ?? iterations[iterations.length - 1];
  const k = at === undefined ? -1 : iterations.filter((i) => i <= at).length - 1;
  slider.value = String(Math.max(k, 0));
  $('grid-info').textContent = iterations.length
    ? `iteration ${iterations[k]} (${k + 1} of ${iterations.length})${state.gridIteration === undefined ? ' · following the newest' : ''}`
    : 'none yet';
  for (const kind of ['one-step', 'mcmc'] as const) {
    const g = state.grids.filter((x) => x.kind === kind && x.iteration <= (at ?? Infinity)).pop();
    const img = $<HTMLImageElement>(`img-${kind}`);
    if (g) {
      if (img.getAttribute('src') !== g.src) img.src = g.src;
      $(`it-${kind}`).textContent = `(iteration ${g.iteration})`;
    } else {
      img.removeAttribute('src');
      $(`it-${kind}`).textContent = '';
    }
  }
}

function render(): void {
  $('run-name').textContent = state.run ? `EC-VAE training: ${state.run.name}` : 'EC-VAE training';
  const status = state.status ?? (state.run ? 'running' : undefined);
  const statusEl = $('status');
  statusEl.textContent = status ?? 'waiting for a run';
  statusEl.className = `status ${status ?? ''}`;
  const last = state.records[state.records.length - 1];
  const left = status === 'running' ? eta() : undefined;
  $('progress').textContent =
    last && state.run ? `iteration ${last.iteration} / ${state.run.total} · ${last.itPerSec.toFixed(2)} it/s${left ? ` · ETA ${left}` : ''}` : '';
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
  renderGrids();
  const overlay = $('overlay-info');
  overlay.hidden = $('clear-overlay').hidden = !state.overlays.length;
  overlay.textContent = state.overlays.length ? `dashed: ${state.overlays.map((o) => o.name).join(', ')}` : '';
  $<HTMLInputElement>('smoothing').value = String(state.smoothing ?? 0);
  $<HTMLInputElement>('log-scale').checked = Boolean(state.logScale);
  for (const spec of CHARTS) {
    const p = plots.get(spec.id);
    if (!p) continue;
    // A chart of quantities no shown run logs (a flow prior's, without one) is hidden until one does.
    const runs = [state.records, ...state.overlays.map((o) => o.records)];
    const figure = $(spec.id).closest('figure');
    if (figure) figure.hidden = state.records.length > 0 && !runs.some((rs) => rs.some((r) => spec.fields.some((f) => Number.isFinite(r[f.key] as number))));
    p.setData(columns(spec));
    showNewest(p);
  }
}

/** Axes and series change with the log switch and the overlays: the charts are rebuilt. */
function rebuild(): void {
  vscode.setState(state);
  createPlots();
  render();
}

function apply(msg: ToDashboard): void {
  switch (msg.type) {
    case 'reset': {
      // A new run: its own curves and grids (no overlays); the view settings stay.
      const hadOverlays = state.overlays.length > 0;
      state = { ...EMPTY, run: msg.run, status: 'running', smoothing: state.smoothing, logScale: state.logScale };
      if (hadOverlays) return rebuild();
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
      state.grids = [
        ...state.grids.filter((g) => !(g.kind === msg.kind && g.iteration === msg.iteration)),
        { iteration: msg.iteration, kind: msg.kind, src: msg.src },
      ];
      state.grids.sort((a, b) => a.iteration - b.iteration);
      break;
    case 'status':
      state.status = msg.status;
      if (msg.message !== undefined) state.message = msg.message;
      break;
    case 'overlay':
      state.overlays = [...state.overlays.filter((o) => o.name !== msg.name), { name: msg.name, records: msg.records }];
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
  state.overlays = [];
  rebuild();
});
$('grid-slider').addEventListener('input', () => {
  const iterations = [...new Set(state.grids.map((g) => g.iteration))].sort((a, b) => a - b);
  const k = Number($<HTMLInputElement>('grid-slider').value);
  // At the right end the slider follows new grids as they arrive.
  state.gridIteration = k >= iterations.length - 1 ? undefined : iterations[k];
  vscode.setState(state);
  renderGrids();
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
