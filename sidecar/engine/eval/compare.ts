/**
 * `ecvae compare`: EC-VAE against a plain VAE (and, on request, the flow variants of
 * VARIANTS) with the same data, seed and iteration budget, evaluated with the same
 * metrics; each calibrated variant one-step and + MCMC, with sampling time per image. Writes report.json, report.md,
 * one sample picture per sampler and comparison.svg (data | each sampler, with its
 * metrics under it). Rerunnable: finished variants are not retrained.
 */
import { writeFileAtomic } from '../store/atomic.ts';
import { claimOutputFolder, markOutputFolder } from '../store/outputFolder.ts';
import { join, resolve } from 'node:path';
import type { RunConfig } from '../config/config.ts';
import { exampleSize, loadDataset } from '../data/index.ts';
import { comparisonSvg, type Panel } from './picture.ts';
import { writeSamples } from '../store/pictures.ts';
import { RunError, train, type RunEvents } from '../jobs/run.ts';
import { trainOnThread } from '../jobs/trainThread.ts';
import { selectBackend } from '../core/backend.ts';
import { runsAtOnce } from '../parallel/threads.ts';
import { loadTrained } from '../store/trainedModel.ts';
import { describeDistance, evaluate, type EvalResult } from './evaluate.ts';
import { UserError } from '../../runLayout/errors.ts';
import { loadInception, type FeatureNet, type InceptionOptions } from './inception.ts';
import type { McmcSpace } from '../algorithm/mcmcSpace.ts';
import { variantConfig, VARIANTS, type Variant } from './variants.ts';

export { isVariant, variantConfig, VARIANTS, type Variant } from './variants.ts';

export interface CompareOptions {
  outDir: string;
  iterations?: number;
  n: number;
  mcmcSteps: number;
  /** Where the refined sampler's MCMC runs (default "pixel"). */
  mcmcSpace?: McmcSpace;
  /** Default: vae, ecvae. */
  variants?: Variant[];
  /** An Inception-v3 TF.js graph model: every sampler's fid is reported too. */
  inception?: InceptionOptions;
  events?: RunEvents;
}

export interface CompareRow extends EvalResult {
  variant: Variant;
  samples: string;
}

export interface CompareReport {
  config: string;
  iterations: number;
  /** secPerIter is null for a variant that was already trained (nothing timed this time). */
  training: Partial<Record<Variant, { runDir: string; secPerIter: number | null }>>;
  rows: CompareRow[];
  mainMetric: string;
  /** comparison.svg in the output folder. */
  picture: string;
  notes: string[];
}

/** The metric a comparison (and a sweep report) leads with, per data kind. */
export const MAIN_METRIC: Record<string, { name: string; lowerIsBetter: boolean }> = {
  gaussians25: { name: 'hqRatio', lowerIsBetter: false },
  mnist: { name: 'fd', lowerIsBetter: true },
  'fashion-mnist': { name: 'fd', lowerIsBetter: true },
  folder: { name: 'reconMse', lowerIsBetter: true },
};

/** The caption under a panel: the main metric and the one that explains it. */
function caption(metrics: Record<string, number>): string {
  if (metrics.hqRatio !== undefined) return `hqRatio ${metrics.hqRatio.toFixed(3)} · ${metrics.modes}/25 modes`;
  const fid = metrics.fid === undefined ? '' : ` · FID ${metrics.fid.toFixed(1)}`;
  if (metrics.fd !== undefined) return `FD ${metrics.fd.toFixed(1)}${fid} · precision ${metrics.precision!.toFixed(2)} · recall ${metrics.recall!.toFixed(2)}`;
  return Object.entries(metrics)
    .map(([k, v]) => `${k} ${v.toPrecision(3)}`)
    .join(' · ');
}

const PICTURE_IMAGES = 64;

const time = (s: number | null): string => (s === null ? 'not timed (already trained)' : `${s.toFixed(3)} s/iter`);

function markdown(r: CompareReport): string {
  const keys = [...new Set(r.rows.flatMap((x) => Object.keys(x.metrics)))];
  const head = `| sampler | ${keys.join(' | ')} | s/image | samples |\n| --- | ${keys.map(() => '---').join(' | ')} | --- | --- |`;
  const lines = r.rows.map(
    (x) =>
      `| ${VARIANTS[x.variant].label} ${x.sampler} | ${keys.map((k) => (x.metrics[k] === undefined ? '' : x.metrics[k]!.toPrecision(4))).join(' | ')} | ${x.secondsPerImage.toExponential(2)} | ${x.samples} |`,
  );
  const distances = new Map(r.rows.flatMap((x) => Object.entries(x.distances ?? {})));
  return [
    `# EC-VAE vs VAE: ${r.config}`,
    '',
    `Same data, seed and budget: ${r.iterations} iterations each. Training time: ${Object.entries(r.training)
      .map(([v, t]) => `${VARIANTS[v as Variant].label} ${time(t.secPerIter)}`)
      .join(', ')}.`,
    '',
    `Main metric: **${r.mainMetric}** (${MAIN_METRIC[r.config]?.lowerIsBetter ? 'lower' : 'higher'} is better).`,
    '',
    ...[...distances].map(([k, d]) => `- ${describeDistance(k, d)}`),
    ...(distances.size ? [''] : []),
    head,
    ...lines,
    '',
    `![data and samples of each sampler](comparison.svg)`,
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}

/**
 * Variants trained at once: as many as fit the cores when each run keeps to its own
 * threads on a CPU backend (the toy's MLPs use one), else one after the other (image
 * models already use every core; GPU backends share one device).
 */
async function trainingSlots(config: RunConfig, variants: number): Promise<number> {
  if (variants < 2) return 1;
  const { backend } = await selectBackend(config.backend);
  return Math.min(variants, runsAtOnce(config, backend));
}

/** f over items, at most `limit` at a time. After a failure nothing more starts; it rejects once the started calls have settled. */
async function eachLimited<T>(items: readonly T[], limit: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failing = false;
  const lane = async (): Promise<void> => {
    while (!failing && next < items.length) {
      try {
        await f(items[next++]!);
      } catch (err) {
        failing = true;
        throw err;
      }
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: limit }, lane));
  const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) throw failed.reason;
}

/** A variant's log lines, named, since variants trained at once interleave theirs. */
function prefixed(variant: Variant, events: RunEvents | undefined): RunEvents {
  const onLog = events?.onLog;
  return onLog ? { onLog: (m) => onLog(`${variant}: ${m}`) } : {};
}

export async function compare(config: RunConfig, o: CompareOptions): Promise<CompareReport> {
  const outDir = resolve(o.outDir);
  if (o.inception && config.data.kind === 'gaussians25')
    throw new UserError('request', 'FID needs image data; gaussians25 samples are points, measured by hqRatio and modes instead.');
  // Loaded (and checked) before anything is trained.
  const net = o.inception ? loadInception(o.inception) : undefined;
  try {
    return await compareWith(config, o, outDir, net);
  } finally {
    net?.dispose();
  }
}

async function compareWith(config: RunConfig, o: CompareOptions, outDir: string, net: FeatureNet | undefined): Promise<CompareReport> {
  // Refused before any training when the folder is not new, empty or a comparison of ours.
  claimOutputFolder(outDir, 'compare', 'compare');
  markOutputFolder(outDir, 'compare');
  const iterations = o.iterations ?? config.training.iterations;
  const variants = (o.variants ?? ['vae', 'ecvae']).map((variant) => ({ variant, cfg: variantConfig(config, variant) }));
  const slots = await trainingSlots(config, variants.length);
  if (slots > 1) o.events?.onLog?.(`training ${variants.length} variants, ${slots} at a time, each on a thread of its own`);
  const trained = new Map<Variant, { runDir: string; secPerIter: number | null }>();
  await eachLimited(variants, slots, async (v) => {
    const runDir = join(outDir, v.variant);
    const opts = { runDir, iterations, resume: true };
    const events = prefixed(v.variant, o.events);
    const r = slots > 1 ? await trainOnThread({ config: v.cfg, opts }, events) : await train(v.cfg, { ...opts, events });
    if (r.status !== 'finished') throw new RunError(`${v.variant} training ${r.status} at iteration ${r.iteration}; rerun compare to continue.`);
    trained.set(v.variant, { runDir, secPerIter: r.iterationsThisSession ? r.secPerIter : null });
  });
  const training: CompareReport['training'] = Object.fromEntries(variants.map((v) => [v.variant, trained.get(v.variant)!]));
  const rows: CompareRow[] = [];
  const notes = new Set<string>();
  const panels: Panel[] = [];
  for (const v of variants) {
    const m = loadTrained(training[v.variant]!.runDir);
    try {
      for (const steps of v.cfg.calibration.enabled && o.mcmcSteps > 0 ? [0, o.mcmcSteps] : [0]) {
        const opts = {
          n: o.n,
          mcmcSteps: steps,
          seed: config.seed + 1,
          ...(o.mcmcSpace ? { mcmcSpace: o.mcmcSpace } : {}),
          ...(net ? { inception: net } : {}),
        };
        const samples = `${v.variant}-${steps > 0 ? 'mcmc' : 'one-step'}.png`;
        let shown: Float32Array | undefined;
        // The pictures show the evaluated samples themselves: all points in 2-D, the first 64 images.
        const e = evaluate(m, opts, (x) => {
          const pick = m.model.dataShape.length === 3 ? x.slice(0, Math.min(PICTURE_IMAGES, x.shape[0]!)) : x;
          writeSamples(join(outDir, samples), m.model.dataShape, pick);
          shown = (pick.dataSync() as Float32Array).slice();
          if (pick !== x) pick.dispose();
        });
        e.notes.forEach((n) => notes.add(n));
        rows.push({ ...e, variant: v.variant, samples });
        const title = `${VARIANTS[v.variant].label} ${steps > 0 ? `+ ${steps} ${o.mcmcSpace === 'latent' ? 'latent ' : ''}MCMC steps` : 'one-step'}`;
        panels.push({ title, caption: caption(e.metrics), values: shown!, n: shown!.length / exampleSize({ shape: m.model.dataShape }) });
      }
    } finally {
      m.dispose();
    }
  }
  const picture = join(outDir, 'comparison.svg');
  const data = loadDataset(config.data, config.seed);
  const shape = data.shape;
  const dataN = Math.min(data.size, shape.length === 3 ? PICTURE_IMAGES : o.n);
  panels.unshift({
    title: 'data',
    caption: `${dataN} ${shape.length === 3 ? 'training images' : 'training points'}`,
    values: data.x.subarray(0, dataN * exampleSize(data)),
    n: dataN,
  });
  const text = (t: string): Uint8Array[] => [Buffer.from(t, 'utf8')];
  writeFileAtomic(picture, text(comparisonSvg(`EC-VAE vs VAE, ${config.data.kind}, ${iterations} iterations each, seed ${config.seed}`, panels, shape)));
  const main = MAIN_METRIC[config.data.kind]!;
  const report: CompareReport = { config: config.data.kind, iterations, training, rows, mainMetric: main.name, picture, notes: [...notes] };
  writeFileAtomic(join(outDir, 'report.json'), text(JSON.stringify(report, null, 2) + '\n'));
  writeFileAtomic(join(outDir, 'report.md'), text(markdown(report)));
  return report;
}
