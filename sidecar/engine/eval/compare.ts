/**
 * `ecvae compare`: EC-VAE against a plain VAE with the same architecture, data, seed and
 * iteration budget, evaluated with the same metrics; EC-VAE one-step and EC-VAE + MCMC
 * are both reported with their sampling time per image. Writes report.json, report.md
 * and one sample picture per sampler. Rerunnable: finished variants are not retrained.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunConfig } from '../config.ts';
import { train, writeSamples, type RunEvents } from '../run.ts';
import { loadTrained } from '../trained.ts';
import { evaluate, type EvalResult } from './index.ts';

export interface CompareOptions {
  outDir: string;
  iterations?: number;
  n: number;
  mcmcSteps: number;
  events?: RunEvents;
}

export interface CompareRow extends EvalResult {
  variant: 'vae' | 'ecvae';
  samples: string;
}

export interface CompareReport {
  config: string;
  iterations: number;
  /** secPerIter is null for a variant that was already trained (nothing timed this time). */
  training: Record<'vae' | 'ecvae', { runDir: string; secPerIter: number | null }>;
  rows: CompareRow[];
  mainMetric: string;
  notes: string[];
}

const MAIN: Record<string, { name: string; lowerIsBetter: boolean }> = {
  gaussians25: { name: 'hqRatio', lowerIsBetter: false },
  mnist: { name: 'fd', lowerIsBetter: true },
  'fashion-mnist': { name: 'fd', lowerIsBetter: true },
  folder: { name: 'reconMse', lowerIsBetter: true },
};

const time = (s: number | null): string => (s === null ? 'not timed (already trained)' : `${s.toFixed(3)} s/iter`);

function markdown(r: CompareReport): string {
  const keys = [...new Set(r.rows.flatMap((x) => Object.keys(x.metrics)))];
  const head = `| sampler | ${keys.join(' | ')} | s/image | samples |\n| --- | ${keys.map(() => '---').join(' | ')} | --- | --- |`;
  const lines = r.rows.map((x) => `| ${x.variant} ${x.sampler} | ${keys.map((k) => (x.metrics[k] === undefined ? '' : x.metrics[k]!.toPrecision(4))).join(' | ')} | ${x.secondsPerImage.toExponential(2)} | ${x.samples} |`);
  return [
    `# EC-VAE vs VAE: ${r.config}`, '',
    `Same architecture, data, seed and budget: ${r.iterations} iterations each. Training time: VAE ${time(r.training.vae.secPerIter)}, EC-VAE ${time(r.training.ecvae.secPerIter)}.`, '',
    `Main metric: **${r.mainMetric}** (${MAIN[r.config]?.lowerIsBetter ? 'lower' : 'higher'} is better).`, '',
    head, ...lines, '', ...r.notes.map((n) => `- ${n}`), '',
  ].join('\n');
}

export async function compare(config: RunConfig, o: CompareOptions): Promise<CompareReport> {
  const outDir = resolve(o.outDir);
  const iterations = o.iterations ?? config.training.iterations;
  const variants = [
    { variant: 'vae' as const, cfg: { ...config, name: `${config.name}-vae`, calibration: { ...config.calibration, enabled: false } } },
    { variant: 'ecvae' as const, cfg: { ...config, name: `${config.name}-ecvae`, calibration: { ...config.calibration, enabled: true } } },
  ];
  const training = {} as CompareReport['training'];
  for (const v of variants) {
    const runDir = join(outDir, v.variant);
    const r = await train(v.cfg, { runDir, iterations, resume: true, ...(o.events ? { events: o.events } : {}) });
    if (r.status !== 'finished') throw new Error(`${v.variant} training ${r.status} at iteration ${r.iteration}; rerun compare to continue.`);
    training[v.variant] = { runDir, secPerIter: r.iterationsThisSession ? r.secPerIter : null };
  }
  const rows: CompareRow[] = [];
  const notes = new Set<string>();
  for (const v of variants) {
    const m = loadTrained(training[v.variant].runDir);
    try {
      for (const steps of v.variant === 'ecvae' && o.mcmcSteps > 0 ? [0, o.mcmcSteps] : [0]) {
        const opts = { n: o.n, mcmcSteps: steps, seed: config.seed + 1 };
        const samples = `${v.variant}-${steps > 0 ? 'mcmc' : 'one-step'}.png`;
        // The picture shows the evaluated samples themselves: all points in 2-D, the first 64 images.
        const e = evaluate(m, opts, (x) => {
          const shown = m.model.dataShape.length === 3 ? x.slice(0, Math.min(64, x.shape[0]!)) : x;
          writeSamples(join(outDir, samples), m.model, shown);
          if (shown !== x) shown.dispose();
        });
        e.notes.forEach((n) => notes.add(n));
        rows.push({ ...e, variant: v.variant, samples });
      }
    } finally {
      m.dispose();
    }
  }
  const main = MAIN[config.data.kind]!;
  const report: CompareReport = { config: config.data.kind, iterations, training, rows, mainMetric: main.name, notes: [...notes] };
  writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(outDir, 'report.md'), markdown(report));
  return report;
}
