/**
 * What the dashboard charts, and how: each chart's quantities with their axis titles and
 * units, quantities of different scale on their own (left or right) axis, and the uPlot
 * options that build it (axes, series of the run and of every overlaid run, legends that
 * show the newest values when the cursor is elsewhere).
 */
import uPlot from 'uplot';
import type { MetricsRecord } from '../sidecar/protocol.ts';

export type Field = keyof Pick<
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
  | 'vaeLr'
>;

/** A y axis: its title with the unit, the side it is drawn on, and whether it is logarithmic or holds only positive values. */
export interface AxisSpec {
  title: string;
  side?: 'left' | 'right';
  /** Always logarithmic: the calibration distance spans orders of magnitude (1e-9 before the energy learns, 1e-3 after). */
  log?: boolean;
  /** Positive quantities: the "Log scale" switch applies. */
  positive?: boolean;
}

export interface ChartSpec {
  id: string;
  /** One or two y axes; a field names the axis it is read on (default the first). */
  axes: AxisSpec[];
  fields: { key: Field; label: string; color: keyof typeof PALETTE; dash?: number[]; axis?: number }[];
}

export const PALETTE = {
  blue: ['--vscode-charts-blue', '#3794ff'],
  orange: ['--vscode-charts-orange', '#d18616'],
  green: ['--vscode-charts-green', '#89d185'],
  red: ['--vscode-charts-red', '#f14c4c'],
  purple: ['--vscode-charts-purple', '#b180d7'],
  yellow: ['--vscode-charts-yellow', '#cca700'],
  grey: ['--vscode-descriptionForeground', '#999'],
} as const;

// What tells a user whether calibration works (docs/calibration.md): E(held-out data)
// well below E(neg), the drift of the chains above their noise, and the distance vs epsilon.
export const CHARTS: ChartSpec[] = [
  {
    id: 'chart-losses',
    axes: [
      { title: 'reconstruction (nats / example)', positive: true },
      { title: 'KL (nats)', side: 'right', positive: true },
    ],
    fields: [
      { key: 'rec', label: 'rec', color: 'blue' },
      { key: 'kl', label: 'kl', color: 'orange', axis: 1 },
    ],
  },
  {
    id: 'chart-energy',
    axes: [{ title: 'energy E(x) (lower = more likely)' }],
    fields: [
      { key: 'eData', label: 'E(data)', color: 'blue' },
      { key: 'eHeld', label: 'E(held-out)', color: 'green' },
      { key: 'eNeg', label: 'E(neg)', color: 'red' },
    ],
  },
  {
    id: 'chart-distance',
    axes: [{ title: 'calibration distance', log: true }],
    fields: [
      { key: 'calDistance', label: 'distance', color: 'green' },
      { key: 'epsilon', label: 'ε', color: 'grey', dash: [4, 4] },
    ],
  },
  {
    id: 'chart-drift',
    axes: [{ title: 'mean norm per sample', positive: true }],
    fields: [
      { key: 'drift', label: 'drift', color: 'purple' },
      { key: 'noise', label: 'noise', color: 'grey', dash: [4, 4] },
    ],
  },
  // The calibration term of the loss and its weight, the dual variable λ, which grows while the constraint is violated.
  {
    id: 'chart-lambda',
    axes: [
      { title: 'calibration loss', positive: true },
      { title: 'λ (weight)', side: 'right', positive: true },
    ],
    fields: [
      { key: 'cal', label: 'cal', color: 'green' },
      { key: 'lambda', label: 'λ', color: 'purple', axis: 1 },
    ],
  },
  // A flow prior (README "Flows"): its fit to the encoder means (can be negative: a density) and its calibration distance.
  {
    id: 'chart-prior',
    axes: [{ title: '−log p(μ) (nats)' }, { title: 'latent calibration', side: 'right' }],
    fields: [
      { key: 'priorNll', label: '−log p(μ)', color: 'blue' },
      { key: 'latentCal', label: 'latent cal', color: 'green', axis: 1 },
    ],
  },
  // The generator's step: its gradient norm before clipping (training.gradClipNorm; a spike
  // precedes a divergence) and its learning rate (training.lrDecay anneals it).
  {
    id: 'chart-grad',
    axes: [
      { title: 'gradient L2 norm (before clipping)', log: true },
      { title: 'VAE learning rate', side: 'right' },
    ],
    fields: [
      { key: 'gradNorm', label: '‖∇‖', color: 'orange' },
      { key: 'vaeLr', label: 'lr', color: 'grey', dash: [4, 4], axis: 1 },
    ],
  },
  { id: 'chart-speed', axes: [{ title: 'iterations / s', positive: true }], fields: [{ key: 'itPerSec', label: 'it/s', color: 'yellow' }] },
];

/** Dash patterns of overlaid runs, in turn (the run itself is solid). */
export const OVERLAY_DASHES = [
  [2, 3],
  [8, 4],
  [1, 4],
  [10, 3, 2, 3],
];

/** Tick and legend labels that stay readable from 1e-9 to 1e4. */
export const fmt = (v: number | null | undefined): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v !== 0 && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e4) ? v.toExponential(2) : String(+v.toPrecision(4));
};
const tick = (v: number | null): string => (v === null || !Number.isFinite(v) ? '' : fmt(v).replace(/\.?0+e/, 'e'));

/** Grid lines at powers of ten only (uPlot's log axis also draws 2..9 of every decade). */
function decades(_u: uPlot, _axis: number, min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
  return out;
}

export const axisIsLog = (a: AxisSpec, logScale: boolean): boolean => Boolean(a.log || (a.positive && logScale));

export interface BuildOptions {
  width: number;
  logScale: boolean;
  overlays: string[];
  color: (c: keyof typeof PALETTE) => string;
  axisColor: string;
  gridColor: string;
}

/** The uPlot options of a chart: the run's series, then each overlaid run's, with titled axes. */
export function chartOptions(spec: ChartSpec, o: BuildOptions): uPlot.Options {
  const scale = (i: number): string => (i === 0 ? 'y' : `y${i}`);
  // Axis titles are HTML around the canvas (dashboard.ts axisTitles): readable, selectable, themed.
  const base = { stroke: o.axisColor, ticks: { stroke: o.gridColor }, font: '11px sans-serif' };
  const scales: uPlot.Scales = { x: { time: false } };
  spec.axes.forEach((a, i) => (scales[scale(i)] = axisIsLog(a, o.logScale) ? { distr: 3 } : {}));
  const series = (label: string, f: ChartSpec['fields'][number], width: number, dash?: number[]): uPlot.Series => ({
    label,
    scale: scale(f.axis ?? 0),
    stroke: o.color(f.color),
    width,
    spanGaps: true,
    value: (_u: uPlot, v: number | null) => fmt(v),
    ...(dash ? { dash } : {}),
  });
  return {
    width: o.width,
    height: 200,
    scales,
    legend: { live: true },
    axes: [
      { ...base, grid: { stroke: o.gridColor, width: 1 } },
      ...spec.axes.map((a, i) => ({
        ...base,
        scale: scale(i),
        side: a.side === 'right' ? 1 : 3,
        // y labels like "-0.2531" need more than uPlot's default 50 px, or the sign is clipped.
        size: 64,
        grid: { show: i === 0, stroke: o.gridColor, width: 1 },
        values: (_u: uPlot, splits: (number | null)[]) => splits.map(tick),
        ...(axisIsLog(a, o.logScale) ? { splits: decades } : {}),
      })),
    ],
    series: [
      { label: 'iteration', value: (_u: uPlot, v: number | null) => fmt(v) },
      ...spec.fields.map((f) => series(f.label, f, 1.5, f.dash)),
      ...o.overlays.flatMap((name, k) => spec.fields.map((f) => series(`${f.label} (${name})`, f, 1, OVERLAY_DASHES[k % OVERLAY_DASHES.length]))),
    ],
    hooks: {
      // With the cursor off the chart, the legend shows the newest values rather than "--".
      setCursor: [
        (u: uPlot) => {
          if (u.cursor.idx === null || u.cursor.idx === undefined) showNewest(u);
        },
      ],
    },
  };
}

/** The chart's frame: its y axis titles beside the plot (left, and right for a second axis), the x axis title below. */
export function chartFrame(el: HTMLElement, spec: ChartSpec): HTMLElement {
  const title = (cls: string, text: string): HTMLElement => {
    const t = document.createElement('span');
    t.className = `axis-title ${cls}`;
    t.textContent = text;
    return t;
  };
  const plot = document.createElement('div');
  plot.className = 'plot';
  const right = spec.axes.find((a) => a.side === 'right');
  el.replaceChildren(title('y-left', spec.axes[0]!.title), plot, title('y-right', right?.title ?? ''), title('x', 'iteration'));
  return plot;
}

/** Points each series' legend entry at its newest value (runs of different lengths end at different iterations). */
export function showNewest(u: uPlot): void {
  const idxs = u.data.map((col) => {
    for (let i = col.length - 1; i >= 0; i--) if (col[i] !== null && col[i] !== undefined) return i;
    return col.length - 1;
  });
  if ((u.data[0]?.length ?? 0) > 0) u.setLegend({ idxs });
}
