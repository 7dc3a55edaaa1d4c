/**
 * `ecvae sweep --report`: evaluates every finished run of a sweep with the metrics of
 * `ecvae eval` (one-step, and + MCMC for calibrated runs when asked), and writes
 * report.json, report.md (each metric's mean ± sd over the seeds of each grid point, and
 * every seed's values) and comparison.svg (the data, then one panel per grid point and
 * sampler: its first seed's samples, the main metric's mean ± sd under it). Reporting
 * again reuses the metrics of runs whose checkpoint and settings have not changed.
 */
import { statSync } from 'node:fs';
import { UserError } from '../runLayout/errors.ts';
import { READ_LIMITS, readJsonIfPresent } from '../runLayout/guardedRead.ts';
import { writeFileAtomic } from '../engine/store/atomic.ts';
import { resolveCheckpoint } from '../engine/store/checkpoint.ts';
import { exampleSize, loadDataset } from '../engine/data/index.ts';
import { MAIN_METRIC } from '../engine/eval/compare.ts';
import { evaluate, type Distance } from '../engine/eval/evaluate.ts';
import { loadInception, type FeatureNet, type InceptionOptions } from '../engine/eval/inception.ts';
import { comparisonSvg, type Panel } from '../engine/eval/picture.ts';
import { loadTrained } from '../engine/store/trainedModel.ts';
import { readManifest, runDirOf, sweepFiles, type SweepManifest } from './manifest.ts';
import { sweepStates, type RunState } from './state.ts';
import type { McmcSpace } from '../engine/algorithm/mcmcSpace.ts';

export interface ReportOptions {
  /** Samples per evaluation (as `ecvae eval --n`). */
  n: number;
  /** 0: one-step only; K > 0: also K MCMC steps on the energy, for runs that have one. */
  mcmcSteps: number;
  /** Where that MCMC runs (default "pixel"; algorithm/sample.ts). */
  mcmcSpace?: McmcSpace;
  onLog?(message: string): void;
  /** An Inception-v3 TF.js graph model: fid is reported too. */
  inception?: InceptionOptions;
  /** Runs' Slurm queue states, for the "not in the report" list. */
  states?: RunState[];
}

export interface RunEval {
  run: string;
  point: string;
  labels: Record<string, string>;
  seed: number;
  iteration: number;
  checkpoint: string;
  sampler: 'one-step' | 'mcmc';
  metrics: Record<string, number>;
  /** For each Fréchet metric, the features it is measured on (as `ecvae eval`). */
  distances?: Record<string, Distance>;
  secondsPerImage: number;
  /** What the evaluation depended on (checkpoint and settings): the next report reuses it while they stay the same. */
  evalKey?: string;
}

/**
 * What a run's evaluation depends on: its latest checkpoint (path, size, time) and the
 * settings. Undefined when the checkpoint cannot be found (the run is evaluated, and fails clearly).
 */
function evalKey(runDir: string, o: Pick<ReportOptions, 'n' | 'mcmcSteps' | 'mcmcSpace'>, net?: FeatureNet): string | undefined {
  try {
    const ck = resolveCheckpoint(runDir);
    const st = statSync(ck);
    const fid = net ? `|inception=${net.model}|${statSync(net.model).mtimeMs}|${net.output}` : '';
    return `${ck}|${st.size}|${st.mtimeMs}|n=${o.n}|mcmc=${o.mcmcSteps}${o.mcmcSpace === 'latent' ? '|space=latent' : ''}${fid}`;
  } catch {
    return undefined;
  }
}

/** The last report's evaluations, by run and evaluation key (none when there is no readable report.json). */
function previousEvals(dir: string): Map<string, RunEval[]> {
  const out = new Map<string, RunEval[]>();
  let r: { runs?: RunEval[] } | undefined;
  try {
    r = readJsonIfPresent<{ runs?: RunEval[] }>(sweepFiles(dir).reportJson, { what: 'sweep report', kind: 'run', maxBytes: READ_LIMITS.runFile });
  } catch {
    return out;
  }
  for (const e of Array.isArray(r?.runs) ? r.runs : []) {
    if (typeof e?.run !== 'string' || typeof e.evalKey !== 'string' || typeof e.metrics !== 'object') continue;
    const k = `${e.run}\u0000${e.evalKey}`;
    out.set(k, [...(out.get(k) ?? []), e]);
  }
  return out;
}

export interface MetricSummary {
  mean: number;
  /** Sample standard deviation over the seeds; null with one seed. */
  sd: number | null;
  values: number[];
}

export interface PointSummary {
  point: string;
  labels: Record<string, string>;
  sampler: 'one-step' | 'mcmc';
  seeds: number[];
  metrics: Record<string, MetricSummary>;
}

export interface SweepReport {
  source: string;
  name: string;
  axes: { name: string; key: string; values: string[] }[];
  seeds: number[];
  iterations: number;
  eval: { n: number; mcmcSteps: number; seed: 'run seed + 1' };
  mainMetric: { name: string; lowerIsBetter: boolean };
  points: PointSummary[];
  runs: RunEval[];
  /** Runs not evaluated (not finished), with their state. */
  missing: { run: string; state: string; detail?: string }[];
  picture: string;
  notes: string[];
}

export function summarize(values: number[]): MetricSummary {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : null;
  return { mean, sd, values };
}

/** Groups run evaluations by grid point and sampler, in the order the runs come. */
export function summarizePoints(runs: RunEval[]): PointSummary[] {
  const groups = new Map<string, RunEval[]>();
  for (const r of runs) {
    const k = `${r.point}\u0000${r.sampler}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const names = [...new Set(g.flatMap((r) => Object.keys(r.metrics)))];
    return {
      point: g[0]!.point,
      labels: g[0]!.labels,
      sampler: g[0]!.sampler,
      seeds: g.map((r) => r.seed),
      metrics: Object.fromEntries(names.map((k) => [k, summarize(g.map((r) => r.metrics[k]!).filter((v) => v !== undefined))])),
    };
  });
}

const fmt = (v: number, digits = 4): string =>
  Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(digits - 2) : v.toPrecision(digits);
/** The mean to 4 significant digits, the sd (a rougher estimate) to 2. */
export const meanSd = (s: MetricSummary): string => (s.sd === null ? fmt(s.mean) : `${fmt(s.mean)} ± ${fmt(s.sd, 2)}`);

export function reportMarkdown(r: SweepReport): string {
  const metricNames = [...new Set(r.points.flatMap((p) => Object.keys(p.metrics)))];
  const axisCols = r.axes.map((a) => a.key);
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const rule = (k: number): string => row(Array<string>(k).fill('---'));
  const samplers = r.eval.mcmcSteps > 0 ? `one-step and + ${r.eval.mcmcSteps} MCMC steps (calibrated runs)` : 'one-step';
  const main = `**${r.mainMetric.name}** (${r.mainMetric.lowerIsBetter ? 'lower' : 'higher'} is better)`;
  const lines = [
    `# Sweep: ${r.name}`,
    '',
    `From \`${r.source}\`: ${r.axes.length ? r.axes.map((a) => `${a.name} ∈ {${a.values.join(', ')}}`).join(' × ') + ' × ' : ''}seeds {${r.seeds.join(', ')}}, ` +
      `${r.iterations} iterations each. Each run evaluated on ${r.eval.n} samples, ${samplers}, sampling seed = run seed + 1. Main metric: ${main}.`,
    '',
    '## Mean ± sd over seeds',
    '',
    row([...axisCols, 'sampler', 'seeds', ...metricNames]),
    rule(axisCols.length + 2 + metricNames.length),
    ...r.points.map((p) =>
      row([
        ...axisCols.map((k) => p.labels[k] ?? ''),
        p.sampler,
        String(p.seeds.length),
        ...metricNames.map((k) => (p.metrics[k] ? meanSd(p.metrics[k]) : '')),
      ]),
    ),
    '',
    '## Per seed',
    '',
    row(['run', 'sampler', 'iteration', ...metricNames]),
    rule(3 + metricNames.length),
    ...r.runs.map((x) => row([x.run, x.sampler, String(x.iteration), ...metricNames.map((k) => (x.metrics[k] === undefined ? '' : fmt(x.metrics[k])))])),
    '',
  ];
  if (r.missing.length)
    lines.push('## Not in the report (not finished)', '', ...r.missing.map((m) => `- ${m.run}: ${m.state}${m.detail ? ` (${m.detail})` : ''}`), '');
  lines.push('![the data, then each grid point’s samples (its first seed)](comparison.svg)', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

const PICTURE_IMAGES = 64;

const writeText = (file: string, text: string): void => writeFileAtomic(file, [Buffer.from(text)]);

export async function sweepReport(dir: string, o: ReportOptions): Promise<SweepReport> {
  const m: SweepManifest = readManifest(dir);
  if (o.inception && m.base.data.kind === 'gaussians25')
    throw new UserError('request', 'FID needs image data; gaussians25 samples are points, measured by hqRatio and modes instead.');
  const net = o.inception ? loadInception(o.inception) : undefined;
  try {
    return reportWith(dir, o, m, net);
  } finally {
    net?.dispose();
  }
}

function reportWith(dir: string, o: ReportOptions, m: SweepManifest, net: FeatureNet | undefined): SweepReport {
  const states = o.states ?? sweepStates(dir, m);
  const runs: RunEval[] = [];
  const notes = new Set<string>();
  const shown = new Map<string, Panel>();
  const missing: SweepReport['missing'] = [];
  const previous = previousEvals(dir);
  const pictured = new Set<string>();
  let reused = 0;
  for (const [i, run] of m.runs.entries()) {
    const s = states[i]!;
    if (s.state !== 'finished') {
      missing.push({ run: run.name, state: s.state, ...(s.detail ? { detail: s.detail } : {}) });
      continue;
    }
    // A run whose checkpoint and evaluation settings are those of the last report is not
    // evaluated again, unless its samples are the picture's (the first finished run of its point).
    const key = evalKey(runDirOf(dir, run), o, net);
    const cached = key ? previous.get(`${run.name}\u0000${key}`) : undefined;
    if (cached && pictured.has(run.point)) {
      runs.push(...cached.map((e) => ({ ...e, labels: run.labels })));
      reused++;
      continue;
    }
    pictured.add(run.point);
    const tm = loadTrained(runDirOf(dir, run));
    try {
      for (const steps of tm.ebm && o.mcmcSteps > 0 ? [0, o.mcmcSteps] : [0]) {
        const panelKey = `${run.point}\u0000${steps}`;
        let values: Float32Array | undefined;
        const opts = { n: o.n, mcmcSteps: steps, seed: run.seed + 1, ...(o.mcmcSpace ? { mcmcSpace: o.mcmcSpace } : {}), ...(net ? { inception: net } : {}) };
        const e = evaluate(tm, opts, (x) => {
          if (shown.has(panelKey)) return;
          const pick = tm.model.dataShape.length === 3 ? x.slice(0, Math.min(PICTURE_IMAGES, x.shape[0]!)) : x;
          values = (pick.dataSync() as Float32Array).slice();
          if (pick !== x) pick.dispose();
        });
        e.notes.forEach((n) => notes.add(n));
        const ev: RunEval = {
          run: run.name,
          point: run.point,
          labels: run.labels,
          seed: run.seed,
          iteration: tm.iteration,
          checkpoint: tm.file,
          sampler: e.sampler,
          metrics: e.metrics,
          ...(e.distances ? { distances: e.distances } : {}),
          secondsPerImage: e.secondsPerImage,
          ...(key ? { evalKey: key } : {}),
        };
        runs.push(ev);
        o.onLog?.(
          `${run.name} ${e.sampler}: ${Object.entries(e.metrics)
            .map(([k, v]) => `${k} ${fmt(v)}`)
            .join(', ')}`,
        );
        if (values)
          shown.set(panelKey, {
            title: `${run.point} ${steps > 0 ? `+ ${steps} MCMC` : 'one-step'}`,
            caption: '',
            values,
            n: values.length / exampleSize({ shape: tm.model.dataShape }),
          });
      }
    } finally {
      tm.dispose();
    }
  }
  if (reused) o.onLog?.(`${reused} runs unchanged since the last report: their metrics were kept`);
  const main = MAIN_METRIC[m.base.data.kind] ?? { name: 'reconMse', lowerIsBetter: true };
  const points = summarizePoints(runs);
  const panels: Panel[] = [];
  for (const p of points) {
    const panel = shown.get(`${p.point}\u0000${p.sampler === 'mcmc' ? o.mcmcSteps : 0}`);
    const s = p.metrics[main.name];
    if (panel) panels.push({ ...panel, caption: s ? `${main.name} ${meanSd(s)} (${p.seeds.length} seed${p.seeds.length > 1 ? 's' : ''})` : '' });
  }
  const files = sweepFiles(dir);
  if (panels.length) {
    const data = loadDataset(m.base.data, m.base.seed);
    const dataN = Math.min(data.size, data.shape.length === 3 ? PICTURE_IMAGES : o.n);
    panels.unshift({
      title: 'data',
      caption: `${dataN} training ${data.shape.length === 3 ? 'images' : 'points'}`,
      values: data.x.subarray(0, dataN * exampleSize(data)),
      n: dataN,
    });
    writeText(
      files.picture,
      comparisonSvg(`Sweep ${m.base.name}: first seed of each grid point, ${m.base.training.iterations} iterations`, panels, data.shape),
    );
  }
  const report: SweepReport = {
    source: m.source,
    name: m.base.name,
    axes: m.axes.map((a) => ({ name: a.name, key: a.key, values: a.values.map((v) => v.label) })),
    seeds: m.seeds,
    iterations: m.base.training.iterations,
    eval: { n: o.n, mcmcSteps: o.mcmcSteps, seed: 'run seed + 1' },
    mainMetric: main,
    points,
    runs,
    missing,
    picture: files.picture,
    notes: [...notes],
  };
  writeText(files.reportJson, JSON.stringify(report, null, 2) + '\n');
  writeText(files.reportMd, reportMarkdown(report));
  return report;
}
